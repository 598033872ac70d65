import { GatewayConfigError } from './errors.js';
import { between } from './interval.js';
import type { Peer } from './peer.js';
import type { RingId } from './ring-id.js';

/**
 * The r nearest successors, nearest first. With r entries a node survives
 * the failure of any r-1 consecutive successors at once: the first live entry
 * is its new successor (Chord §E.3). Never holds the node itself: in a ring
 * smaller than r+1 the list stops where it would wrap back to self.
 */
export class SuccessorList<R> {
  private list: Peer<R>[] = [];

  constructor(
    readonly self: Peer<R>,
    readonly capacity: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new GatewayConfigError(`successor list length r must be an integer ≥ 1, got ${capacity}`);
    }
  }

  /** The immediate successor; the node itself when it knows no other (alone in the ring). */
  first(): Peer<R> {
    return this.list[0] ?? this.self;
  }

  /** The first entry not in `avoid`, or undefined if all are avoided (or the list is empty). */
  firstLive(avoid?: ReadonlySet<RingId>): Peer<R> | undefined {
    return avoid === undefined ? this.list[0] : this.list.find((p) => !avoid.has(p.id));
  }

  entries(): readonly Peer<R>[] {
    return this.list;
  }

  get length(): number {
    return this.list.length;
  }

  isEmpty(): boolean {
    return this.list.length === 0;
  }

  has(id: RingId): boolean {
    return this.list.some((p) => p.id === id);
  }

  /**
   * Stabilize's step: my list is my successor followed by its list, cut to r.
   * Entries are kept only while they go clockwise (each strictly after the one
   * before, seen from self), which drops self, duplicates, and stale entries
   * of a successor list that wrapped.
   */
  reconcile(successor: Peer<R>, itsSuccessors: readonly Peer<R>[]): void {
    const next: Peer<R>[] = [];
    let last = this.self.id;
    for (const p of [successor, ...itsSuccessors]) {
      if (next.length >= this.capacity) break;
      if (p.id === this.self.id) break;
      if (!between(last, p.id, this.self.id, '()')) break;
      next.push(p);
      last = p.id;
    }
    this.list = next;
  }

  /** A node closer than the current successor was found (stabilize saw it as the successor's predecessor). */
  prepend(peer: Peer<R>): void {
    if (peer.id === this.self.id) return;
    this.reconcile(peer, this.list);
  }

  /** Drops a node suspected dead; the next entry becomes the successor. Returns whether it was there. */
  remove(id: RingId): boolean {
    const before = this.list.length;
    this.list = this.list.filter((p) => p.id !== id);
    return this.list.length !== before;
  }

  clear(): void {
    this.list = [];
  }
}
