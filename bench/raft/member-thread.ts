// Actor factories for the thread mode (group-threads.ts): a WorkerHost spawns
// them by name inside its worker thread, so this module is loaded once per
// member thread and its `store` is that thread's own.
import type { Props } from '../../runtime/actor.js';
import type { RaftMemberMessage } from '../../actors/raft/member-messages.js';
import { LmdbLogStore } from '../../storage/raft-log/lmdb.js';
import { memberProps } from './member.js';

export interface ThreadMemberArgs {
  id: number;
  size: number;
  /** This member's lmdb directory. */
  dir: string;
  noSync: boolean;
  /** Member `n` is the worker system `${systemPrefix}.m${n}`. */
  systemPrefix: string;
}

let store: LmdbLogStore | undefined;

/** The member: opens its log store in this thread. */
export function raftMember(args: ThreadMemberArgs): Props<RaftMemberMessage> {
  store = LmdbLogStore.open({ path: args.dir, unsafeNoSync: args.noSync });
  return memberProps(args.id, args.size, store, (peer) => `${args.systemPrefix}.m${peer}`);
}

/**
 * Answers 'close' or 'close-and-exit' once this thread's log store is closed
 * (stop the member first). 'close-and-exit' then ends the thread with
 * process.exit, which (unlike Worker.terminate) runs the thread's 'exit'
 * handlers: that is when actors/raft/trace.ts writes its rows.
 */
export function storeCloser(): Props<'close' | 'close-and-exit'> {
  return {
    create: () => ({
      async receive(message, ctx) {
        const replyTo = ctx.sender;
        await store?.close();
        replyTo?.tell('closed');
        if (message === 'close-and-exit') setTimeout(() => process.exit(0), 10);
      },
    }),
  };
}
