import type { DeleteCall, FrontDoor, GetCall, KeyValue, PutCall, RangeDeleteCall, RangeGetCall } from '../../api/types.js';
import type { Props } from '../../runtime/actor.js';
import { EdgeKVError } from '../../runtime/errors.js';

/** A front-door call as a message, for hosts that run the API server outside the node's thread. */
export type DoorRequest =
  | { kind: 'get'; call: GetCall; timeoutMs: number }
  | { kind: 'put'; call: PutCall; timeoutMs: number }
  | { kind: 'delete'; call: DeleteCall; timeoutMs: number }
  | { kind: 'rangeGet'; call: RangeGetCall; timeoutMs: number }
  | { kind: 'rangeDelete'; call: RangeDeleteCall; timeoutMs: number }
  | { kind: 'status' };

/** Errors travel as values (code + message), like the raft member's replies. */
export type DoorReply = { ok: true; value: unknown } | { ok: false; code: string; message: string };

/**
 * The front door as an actor at `edgePaths.door`: answers each DoorRequest
 * (ask) with a DoorReply; `rangeGet` answers the whole list of KeyValues.
 * Calls run concurrently (receive never awaits).
 */
export function doorProps(door: FrontDoor): Props<DoorRequest> {
  return {
    create: () => ({
      receive: (m, ctx) => {
        const replyTo = ctx.sender;
        void call(door, m).then(
          (value) => replyTo?.tell({ ok: true, value } satisfies DoorReply),
          (error: unknown) =>
            replyTo?.tell({
              ok: false,
              code: error instanceof EdgeKVError ? error.code : 'INTERNAL',
              message: error instanceof Error ? error.message : String(error),
            } satisfies DoorReply),
        );
      },
    }),
  };
}

async function call(door: FrontDoor, m: DoorRequest): Promise<unknown> {
  switch (m.kind) {
    case 'get':
      return (await door.get(m.call, m.timeoutMs)) ?? null;
    case 'put':
      return door.put(m.call, m.timeoutMs);
    case 'delete':
      return door.delete(m.call, m.timeoutMs);
    case 'rangeGet': {
      const out: KeyValue[] = [];
      for await (const kv of door.rangeGet(m.call, m.timeoutMs)) out.push(kv);
      return out;
    }
    case 'rangeDelete':
      return door.rangeDelete(m.call, m.timeoutMs);
    case 'status':
      return door.status();
  }
}
