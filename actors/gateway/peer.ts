import type { RingId } from './ring-id.js';

/**
 * Another node of the ring as the pure core sees it: its id and an opaque
 * handle (an ActorRef in the gateway actor, a plain value in unit tests and in
 * the path-length model), so the core never touches I/O.
 */
export interface Peer<R> {
  readonly id: RingId;
  readonly ref: R;
}

export function samePeer(a: Peer<unknown> | undefined, b: Peer<unknown> | undefined): boolean {
  return a?.id === b?.id;
}
