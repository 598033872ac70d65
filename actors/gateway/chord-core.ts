import { FingerTable } from './finger-table.js';
import { between } from './interval.js';
import type { Peer } from './peer.js';
import { RING_BITS, ringDistance, type RingId } from './ring-id.js';
import { SuccessorList } from './successor-list.js';

/** One routing step for `key` at some node. */
export type NextHop<R> =
  /** `owner` is successor(key): the lookup is over. */
  | { kind: 'owner'; owner: Peer<R> }
  /** Ask `peer` next: it precedes `key` more closely than this node. */
  | { kind: 'forward'; peer: Peer<R> }
  /** Every candidate is avoided: this node cannot route `key` now. */
  | { kind: 'stuck' };

export interface ChordCoreOptions {
  /** r, the successor list length. */
  successorListLength: number;
  /** m; 160 for SHA-1 ids, smaller in unit tests that follow the paper's 6-bit examples. */
  bits?: number;
}

/** What stabilize decided after hearing from the successor. */
export interface StabilizeOutcome<R> {
  /** The successor to notify (it may have changed to a node that joined in between). */
  notify: Peer<R>;
  successorChanged: boolean;
}

/**
 * The Chord node state and every decision on it, with no timers and no I/O:
 * the gateway actor feeds it what peers answered and acts on what it returns;
 * the path-length model drives the very same `nextHop` on rings built in
 * memory. (etcd-io/raft's pure core is the model.)
 */
export class ChordCore<R> {
  readonly fingers: FingerTable<R>;
  readonly successors: SuccessorList<R>;
  private pred: Peer<R> | undefined;
  /** The predecessor last suspected, while no new one is known: the floor of the range this node surely owns. */
  private lostPredecessor: RingId | undefined;
  private nextFinger = 0;

  constructor(
    readonly self: Peer<R>,
    options: ChordCoreOptions,
  ) {
    const bits = options.bits ?? RING_BITS;
    this.fingers = new FingerTable<R>(self.id, bits);
    this.successors = new SuccessorList<R>(self, options.successorListLength);
  }

  get bits(): number {
    return this.fingers.bits;
  }

  get predecessor(): Peer<R> | undefined {
    return this.pred;
  }

  /** The immediate successor (self when alone). */
  get successor(): Peer<R> {
    return this.successors.first();
  }

  /** True when this node knows no other node. */
  get isAlone(): boolean {
    return this.successors.isEmpty() && this.pred === undefined;
  }

  /**
   * Does this node own `id`, i.e. is id ∈ (predecessor, self]? Alone, it owns
   * the whole ring. With its predecessor unknown because it was suspected, the
   * range has grown to a start it cannot know until the next notify: it owns
   * for sure only (suspected predecessor, self], and says no beyond (the
   * suspect may be alive after all: a lost answer looks like a crash; callers
   * retry once notify has told).
   */
  ownsKey(id: RingId): boolean {
    if (this.pred !== undefined) return between(this.pred.id, id, this.self.id, '(]');
    if (this.isAlone) return true;
    return this.lostPredecessor !== undefined && between(this.lostPredecessor, id, this.self.id, '(]');
  }

  /**
   * The closest node preceding `key`: Chord's closest_preceding_node over the
   * finger table, falling back to the successor list when no finger is usable
   * (missing right after a join, or suspected dead during this lookup), as the
   * paper advises for failures. Only a fallback: consulted always, the list
   * would shortcut the last hops and the path length would no longer be the
   * paper's ½·log₂N (it drops with r). Undefined if no known node lies in
   * (self, key).
   */
  closestPrecedingNode(key: RingId, avoid?: ReadonlySet<RingId>): Peer<R> | undefined {
    const finger = this.fingers.closestPrecedingFinger(key, avoid);
    if (finger !== undefined) return finger;
    let best: Peer<R> | undefined;
    for (const s of this.successors.entries()) {
      if (avoid?.has(s.id) || !between(this.self.id, s.id, key, '()')) continue;
      if (best === undefined || ringDistance(s.id, key, this.bits) < ringDistance(best.id, key, this.bits)) best = s;
    }
    return best;
  }

  /**
   * One routing step for `key`, skipping the peers in `avoid` (suspected dead
   * during this lookup): this node's own range answers at once; a key between
   * this node and its first live successor is owned by that successor;
   * otherwise forward to the closest preceding node.
   */
  nextHop(key: RingId, avoid?: ReadonlySet<RingId>): NextHop<R> {
    if (this.pred !== undefined && between(this.pred.id, key, this.self.id, '(]')) return { kind: 'owner', owner: this.self };
    if (this.successors.isEmpty()) return { kind: 'owner', owner: this.self };
    const succ = this.successors.firstLive(avoid);
    if (succ !== undefined && between(this.self.id, key, succ.id, '(]')) return { kind: 'owner', owner: succ };
    const next = this.closestPrecedingNode(key, avoid);
    if (next !== undefined) return { kind: 'forward', peer: next };
    // Only suspected nodes lie between here and the key: whoever owns it, this node cannot tell.
    return { kind: 'stuck' };
  }

  // ---- maintenance ----------------------------------------------------------

  /** Joins through `successor` (found by a lookup of self's id), adopting its successor list. */
  joinVia(successor: Peer<R>, itsSuccessors: readonly Peer<R>[], predecessor: Peer<R> | undefined): void {
    this.successors.reconcile(successor, itsSuccessors);
    this.fingers.set(0, this.successors.first());
    this.pred = predecessor?.id === this.self.id ? undefined : predecessor;
    this.lostPredecessor = undefined;
  }

  /**
   * Stabilize, given what the successor said: its predecessor `x` and its
   * successor list. If x lies between self and the successor, x joined in
   * between and becomes the successor. Returns whom to notify.
   */
  stabilize(successor: Peer<R>, x: Peer<R> | undefined, itsSuccessors: readonly Peer<R>[]): StabilizeOutcome<R> {
    const before = this.successor.id;
    if (x !== undefined && x.id !== this.self.id && between(this.self.id, x.id, successor.id, '()')) {
      this.successors.reconcile(x, [successor, ...itsSuccessors]);
    } else {
      this.successors.reconcile(successor, itsSuccessors);
    }
    this.fingers.set(0, this.successors.first());
    return { notify: this.successor, successorChanged: this.successor.id !== before };
  }

  /**
   * A node alone learns its first peer from a notify: with no successor, its
   * predecessor is also its successor (Chord's stabilize with successor = self
   * reads its own predecessor). Returns whether the successor changed.
   */
  adoptPredecessorAsSuccessor(): boolean {
    if (!this.successors.isEmpty() || this.pred === undefined) return false;
    this.successors.reconcile(this.pred, []);
    this.fingers.set(0, this.pred);
    return true;
  }

  /** Chord's notify: `peer` thinks it might be our predecessor. Returns the previous predecessor if it changed, else false. */
  notify(peer: Peer<R>): { changed: true; previous: Peer<R> | undefined } | { changed: false } {
    if (peer.id === this.self.id) return { changed: false };
    if (this.pred === undefined || between(this.pred.id, peer.id, this.self.id, '()')) {
      const previous = this.pred;
      this.pred = peer;
      this.lostPredecessor = undefined;
      return { changed: true, previous };
    }
    return { changed: false };
  }

  /** Sets the predecessor outright (join and leave handshakes decide it, not notify). */
  setPredecessor(peer: Peer<R> | undefined): void {
    this.pred = peer?.id === this.self.id ? undefined : peer;
    this.lostPredecessor = undefined;
  }

  /**
   * A peer did not answer: forget it everywhere. Returns what it was to us, so
   * the actor can tell a failed successor (move on to the next) from a failed
   * predecessor (range grows).
   */
  peerFailed(id: RingId): { wasSuccessor: boolean; wasPredecessor: boolean } {
    const wasSuccessor = this.successors.first().id === id && id !== this.self.id;
    const wasPredecessor = this.pred?.id === id;
    this.successors.remove(id);
    this.fingers.remove(id);
    if (wasPredecessor) {
      this.lostPredecessor = id;
      this.pred = undefined;
    }
    if (wasSuccessor) this.fingers.set(0, this.successors.isEmpty() ? undefined : this.successors.first());
    return { wasSuccessor, wasPredecessor };
  }

  /**
   * When every successor failed (more than r-1 consecutive nodes: outside
   * Chord's model) the node falls back to the nearest live node it still
   * knows, so it rejoins the ring instead of believing itself alone.
   */
  recoverSuccessor(): boolean {
    if (!this.successors.isEmpty()) return false;
    let best: Peer<R> | undefined;
    for (const p of [...this.fingers.peers(), ...(this.pred === undefined ? [] : [this.pred])]) {
      if (p.id === this.self.id) continue;
      if (best === undefined || ringDistance(this.self.id, p.id, this.bits) < ringDistance(this.self.id, best.id, this.bits)) best = p;
    }
    if (best === undefined) return false;
    this.successors.reconcile(best, []);
    this.fingers.set(0, best);
    return true;
  }

  // ---- fix_fingers ------------------------------------------------------------

  /** The finger fix_fingers should refresh next, and the id to look up for it. */
  nextFingerToFix(): { index: number; start: RingId } {
    if (this.nextFinger >= this.bits) this.nextFinger = 0;
    return { index: this.nextFinger, start: this.fingers.start(this.nextFinger) };
  }

  /** The lookup for finger `index` answered `owner`; moves past every finger that answer settles. */
  fingerFixed(index: number, owner: Peer<R>): void {
    const next = this.fingers.setRun(index, owner);
    this.nextFinger = next >= this.bits ? 0 : next;
  }

  /** Every distinct peer this node knows (for status). */
  knownPeers(): Peer<R>[] {
    const byId = new Map<RingId, Peer<R>>();
    for (const p of [...this.successors.entries(), ...this.fingers.peers(), ...(this.pred ? [this.pred] : [])]) byId.set(p.id, p);
    byId.delete(this.self.id);
    return [...byId.values()];
  }
}
