import type { ActorRef } from '../../runtime/actor-ref.js';
import type { PeerRef } from './messages.js';
import type { RingId } from './ring-id.js';

/** Why the range a gateway owns changed. */
export type RangeChangeReason =
  /** First gateway of a new ring: owns everything. */
  | 'created'
  /** This gateway joined; it takes (predecessor, self] from its successor. */
  | 'joined'
  /** A gateway joined just before this one and took part of its range. */
  | 'predecessor-joined'
  /** The predecessor left gracefully and handed its range over. */
  | 'predecessor-left'
  /** The predecessor failed; this gateway's range grew back to the next live predecessor. */
  | 'predecessor-failed'
  /** The predecessor changed without a handshake (notify after a failure or partition healed). */
  | 'predecessor-changed'
  /** This gateway left gracefully and handed its range to its successor. */
  | 'left';

/**
 * Keys in the ring interval (from, to]. `from === to` means the whole ring
 * (a gateway alone owns everything).
 */
export interface RingRange {
  from: RingId;
  to: RingId;
}

/** This gateway is about to own `range`, until now owned by `previousOwner`. */
export interface RangeAcquired extends RingRange {
  kind: 'range-acquired';
  previousOwner: PeerRef;
  reason: 'joined' | 'predecessor-left' | 'predecessor-failed' | 'predecessor-changed';
}

/** This gateway is about to stop owning `range`; `newOwner` takes it. */
export interface RangeReleased extends RingRange {
  kind: 'range-released';
  newOwner: PeerRef;
  reason: 'predecessor-joined' | 'left' | 'predecessor-changed';
}

/** After any change: what this gateway owns now (undefined while its predecessor is unknown). */
export interface RangeChanged {
  kind: 'range-changed';
  gateway: PeerRef;
  range: RingRange | undefined;
  reason: RangeChangeReason;
}

/**
 * How the data-migration layer hooks into ring changes. The gateway awaits
 * `acquire` and `release` during the join and leave handshakes:
 *  - join of J before S (J's predecessor P): S awaits `release({P, J], J)`,
 *    then stops owning (P, J]; then J awaits `acquire({P, J], S)` and only then
 *    serves. So the keys of (P, J] move from S's group to J's group before J
 *    serves them; which side copies is the migration layer's choice.
 *  - graceful leave of L (predecessor P, successor S): L awaits
 *    `release({P, L], S)`, then S awaits `acquire({P, L], L)` and takes over,
 *    then L leaves.
 * `release` should copy, not delete: the range stops being this gateway's
 * only when `changed` reports a range without it (reasons
 * 'predecessor-joined', 'predecessor-changed', 'left'), because a handoff can
 * fail after the release — the new owner dies (the release is then repeated
 * towards the next successor) or refuses (the leave is aborted, and the
 * would-be owner's group keeps a stale copy outside its gateway's range,
 * never served; drop it at that gateway's next `changed` or by a sweep).
 * A hook that throws (or rejects) is retried after `hookRetryMs`, so hooks
 * must be idempotent. On a predecessor failure nothing can be awaited (the
 * range already routes here): `acquire` is called with reason
 * 'predecessor-failed' while the gateway keeps serving, so the migration
 * layer can recover the keys from the failed gateway's group.
 * `changed` is informational and called after every change.
 * (The edge migrator pulls instead: `release` does nothing and the new
 * owner's `acquire` moves the keys; see ../edge/README.md.)
 */
export interface RangeListener {
  acquire?(event: RangeAcquired): void | Promise<void>;
  release?(event: RangeReleased): void | Promise<void>;
  changed?(event: RangeChanged): void;
}

/** What `groupRangeListener` sends to the group; it acks acquire/release with any reply. */
export type RangeHookMessage = RangeAcquired | RangeReleased | RangeChanged;

/**
 * A RangeListener that forwards each hook to an actor (e.g. the group's
 * migration actor): `acquire`/`release` are asks (the reply is the ack that
 * lets the handshake go on), `changed` a tell.
 */
export function groupRangeListener(target: ActorRef<RangeHookMessage>, ackTimeoutMs: number): RangeListener {
  return {
    acquire: async (event) => {
      await target.ask(event, { timeoutMs: ackTimeoutMs });
    },
    release: async (event) => {
      await target.ask(event, { timeoutMs: ackTimeoutMs });
    },
    changed: (event) => target.tell(event),
  };
}
