import { GatewayConfigError } from './errors.js';
import { between } from './interval.js';
import type { Peer } from './peer.js';
import { addPowerOfTwo, RING_BITS, type RingId } from './ring-id.js';

/**
 * Chord's finger table: entry i should hold successor(self + 2^i). Entries are
 * hints, not truth: a missing or stale one only costs hops, never correctness
 * (the successor list carries that).
 */
export class FingerTable<R> {
  private readonly entries: Array<Peer<R> | undefined>;

  constructor(
    readonly self: RingId,
    readonly bits: number = RING_BITS,
  ) {
    if (!Number.isInteger(bits) || bits < 1) throw new GatewayConfigError(`finger table needs bits ≥ 1, got ${bits}`);
    this.entries = new Array<Peer<R> | undefined>(bits).fill(undefined);
  }

  get size(): number {
    return this.bits;
  }

  /** (self + 2^i) mod 2^bits. */
  start(i: number): RingId {
    return addPowerOfTwo(this.self, i, this.bits);
  }

  get(i: number): Peer<R> | undefined {
    return this.entries[i];
  }

  set(i: number, peer: Peer<R> | undefined): void {
    this.entries[i] = peer;
  }

  /**
   * `owner` is successor(start(i)); every later finger whose start lies in
   * [start(i), owner] has the same successor, so it is set too without a
   * lookup of its own. Returns the first index not set: most of the 160
   * fingers of a small ring point at the immediate successor, and this keeps
   * fix_fingers from spending one lookup on each.
   */
  setRun(i: number, owner: Peer<R>): number {
    const first = this.start(i);
    let j = i;
    for (; j < this.bits; j++) {
      const s = this.start(j);
      if (s !== first && !between(first, s, owner.id, '[]')) break;
      if (first === owner.id && s !== first) break;
      this.entries[j] = owner;
    }
    return j;
  }

  /** Forgets a failed node; returns how many entries held it. */
  remove(id: RingId): number {
    let removed = 0;
    for (let i = 0; i < this.bits; i++) {
      if (this.entries[i]?.id === id) {
        this.entries[i] = undefined;
        removed++;
      }
    }
    return removed;
  }

  /**
   * The finger that most closely precedes `key`: the highest entry in
   * (self, key), skipping `avoid` (peers suspected dead during this lookup).
   */
  closestPrecedingFinger(key: RingId, avoid?: ReadonlySet<RingId>): Peer<R> | undefined {
    for (let i = this.bits - 1; i >= 0; i--) {
      const f = this.entries[i];
      if (f !== undefined && between(this.self, f.id, key, '()') && !avoid?.has(f.id)) return f;
    }
    return undefined;
  }

  /** Distinct peers in the table, in finger order. */
  peers(): Peer<R>[] {
    const seen = new Set<RingId>();
    const out: Peer<R>[] = [];
    for (const f of this.entries) {
      if (f !== undefined && !seen.has(f.id)) {
        seen.add(f.id);
        out.push(f);
      }
    }
    return out;
  }

  /** Entry ids, `undefined` for empty slots (for status and tests). */
  ids(): Array<RingId | undefined> {
    return this.entries.map((f) => f?.id);
  }
}
