import { ChordCore } from '../chord-core.js';
import { between } from '../interval.js';
import { LookupWalk } from '../lookup-walk.js';
import type { Peer } from '../peer.js';
import { RING_BITS, type RingId } from '../ring-id.js';

/**
 * A stabilized Chord ring in memory: one ChordCore per id, with the finger
 * tables, successor lists and predecessors that stabilize and fix_fingers
 * converge to. Lookups run through LookupWalk and ChordCore.nextHop, the code
 * the gateway actor runs, with direct calls standing in for asks; it is how
 * path length is measured on rings too large to simulate actor by actor.
 */
export class RingModel {
  readonly ids: RingId[];
  readonly cores = new Map<RingId, ChordCore<RingId>>();

  constructor(ids: readonly RingId[], options: { successorListLength: number; bits?: number }) {
    this.ids = [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const bits = options.bits ?? RING_BITS;
    const n = this.ids.length;
    for (let i = 0; i < n; i++) {
      const id = this.ids[i]!;
      const core = new ChordCore<RingId>(peer(id), { successorListLength: options.successorListLength, bits });
      const succs = [];
      for (let k = 1; k <= Math.min(options.successorListLength, n - 1); k++) succs.push(peer(this.ids[(i + k) % n]!));
      if (succs.length > 0) core.successors.reconcile(succs[0]!, succs.slice(1));
      if (n > 1) core.setPredecessor(peer(this.ids[(i - 1 + n) % n]!));
      for (let f = 0; f < bits; f++) core.fingers.set(f, peer(this.successorOf(core.fingers.start(f))));
      this.cores.set(id, core);
    }
  }

  /** The true owner of `key`: the smallest id ≥ key, wrapping to the smallest id. */
  successorOf(key: RingId): RingId {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ids[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return this.ids[lo === this.ids.length ? 0 : lo]!;
  }

  /** An iterative lookup from `origin`, with `dead` nodes timing out. */
  lookup(origin: RingId, key: RingId, dead: ReadonlySet<RingId> = new Set()): { owner: RingId; hops: number } | { failed: string } {
    const core = this.cores.get(origin)!;
    const walk = new LookupWalk<RingId>(key, (k, avoid) => core.nextHop(k, avoid), 4 * RING_BITS);
    let step = walk.start();
    for (;;) {
      if (step.kind === 'done') {
        if (!dead.has(step.owner.id)) return { owner: step.owner.id, hops: step.hops };
        step = walk.ownerUnreachable();
        continue;
      }
      if (step.kind === 'failed') return { failed: step.reason };
      const target = step.peer.id;
      if (dead.has(target)) {
        step = walk.timeout();
        continue;
      }
      step = walk.answer(this.cores.get(target)!.nextHop(key, new Set(step.avoid)));
    }
  }

  /** Is `key` in (predecessor, owner] of `owner`? */
  owns(owner: RingId, key: RingId): boolean {
    const i = this.ids.indexOf(owner);
    const pred = this.ids[(i - 1 + this.ids.length) % this.ids.length]!;
    return this.ids.length === 1 || between(pred, key, owner, '(]');
  }
}

function peer(id: RingId): Peer<RingId> {
  return { id, ref: id };
}
