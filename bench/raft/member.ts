// One member of the benchmark group, as both modes run it: a RaftMember with
// its log on lmdb (fsync on unless asked otherwise) and the in-memory KV state
// machine, finding its peers at `{ system: systemOf(peer), path: 'raft' }`.
// member-process.ts (one process per member, TCP) and member-thread.ts (one
// worker thread per member, MessagePorts) differ only in how they are reached.
import type { Props } from '../../runtime/actor.js';
import { KvStateMachine } from '../../actors/raft/kv/kv-state-machine.js';
import type { RaftMemberMessage } from '../../actors/raft/member-messages.js';
import { RaftMember } from '../../actors/raft/member.js';
import type { LogStore } from '../../actors/raft/storage.js';

/** The actor name every member is spawned under. */
export const memberPath = 'raft';

export function memberProps(id: number, size: number, store: LogStore, systemOf: (peer: number) => string): Props<RaftMemberMessage> {
  return RaftMember.props({
    id,
    peers: Array.from({ length: size }, (_, i) => i + 1),
    peerRef: (to, ctx) => ctx.self.via.ref<RaftMemberMessage>({ system: systemOf(to), path: memberPath }),
    store,
    stateMachine: () => new KvStateMachine(),
    // For A/B runs of the commit-notice hold (0 turns it off); the member's default otherwise.
    ...(process.env.EDGEKV_RAFT_COMMIT_NOTICE_MS ? { commitNoticeDelayMs: Number(process.env.EDGEKV_RAFT_COMMIT_NOTICE_MS) } : {}),
  });
}
