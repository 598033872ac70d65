import type { NextHop } from './chord-core.js';
import type { Peer } from './peer.js';
import type { RingId } from './ring-id.js';

/** What the walk wants done next. */
export type WalkStep<R> =
  | { kind: 'ask'; peer: Peer<R>; avoid: RingId[] }
  | { kind: 'done'; owner: Peer<R>; hops: number }
  | { kind: 'failed'; reason: string; hops: number };

/**
 * An iterative Chord lookup as a state machine: the origin asks one node
 * after another for its next hop, each strictly closer to the key. A node that
 * does not answer is avoided for the rest of the walk and the node that
 * pointed at it is asked again (it then picks another finger or the next
 * successor), so one dead node costs a timeout, not the lookup. Pure: the
 * gateway actor drives it with asks and timeouts, the path-length model with
 * direct calls into other cores — the same routing either way.
 *
 * `hops` counts the remote nodes that answered a routing query (the origin's
 * own step is free): Chord's path length.
 */
export class LookupWalk<R> {
  private readonly avoid = new Set<RingId>();
  private readonly timedOut = new Set<RingId>();
  /** Remote nodes asked so far on the current path, nearest the key last. */
  private readonly path: Peer<R>[] = [];
  private hops = 0;
  private steps = 0;
  private finished: WalkStep<R> | undefined;

  constructor(
    readonly key: RingId,
    /** The origin's own routing step (its ChordCore.nextHop). */
    private readonly local: (key: RingId, avoid: ReadonlySet<RingId>) => NextHop<R>,
    /** Bounds a walk through a ring in flux (a cycle of stale pointers cannot spin forever). */
    private readonly maxSteps: number,
  ) {}

  /** The first step, decided locally. */
  start(): WalkStep<R> {
    return this.follow(this.local(this.key, this.avoid));
  }

  /** The peer last asked answered `hop`. */
  answer(hop: NextHop<R>): WalkStep<R> {
    if (this.finished !== undefined) return this.finished;
    this.hops++;
    if (hop.kind === 'stuck') return this.backtrack(false);
    return this.follow(hop);
  }

  /** The peer last asked did not answer in time: suspect it and route around it. */
  timeout(): WalkStep<R> {
    if (this.finished !== undefined) return this.finished;
    return this.backtrack(true);
  }

  /**
   * The owner the walk found did not answer (the node that named it had not
   * noticed its failure yet): avoid it and ask that node again, which then
   * names its next live successor.
   */
  ownerUnreachable(): WalkStep<R> {
    const last = this.finished;
    if (last?.kind !== 'done') return last ?? { kind: 'failed', reason: 'walk not finished', hops: this.hops };
    this.finished = undefined;
    this.avoid.add(last.owner.id);
    this.timedOut.add(last.owner.id);
    const namer = this.path.at(-1);
    if (namer === undefined) return this.follow(this.local(this.key, this.avoid));
    return this.ask(namer);
  }

  /** How the walk ended, if it has. */
  result(): WalkStep<R> | undefined {
    return this.finished;
  }

  /** Peers that did not answer on this walk (the actor also drops them from its own tables). */
  suspects(): RingId[] {
    return [...this.timedOut];
  }

  /** Drops the last node of the path: it timed out, or it could only point somewhere useless. */
  private backtrack(timedOut: boolean): WalkStep<R> {
    const failed = this.path.pop();
    if (failed !== undefined) {
      this.avoid.add(failed.id);
      if (timedOut) this.timedOut.add(failed.id);
    }
    const previous = this.path.at(-1);
    if (previous === undefined) return this.follow(this.local(this.key, this.avoid));
    return this.ask(previous);
  }

  private follow(hop: NextHop<R>): WalkStep<R> {
    switch (hop.kind) {
      case 'owner':
        return this.finish({ kind: 'done', owner: hop.owner, hops: this.hops });
      case 'stuck':
        return this.finish({ kind: 'failed', reason: 'every route to the key is suspected dead', hops: this.hops });
      case 'forward':
        if (this.avoid.has(hop.peer.id) || this.path.some((p) => p.id === hop.peer.id)) {
          // A stale pointer back to a node already on the path (the ring is changing): a dead end.
          if (this.path.length === 0) {
            return this.finish({ kind: 'failed', reason: 'the origin routes only to suspected nodes', hops: this.hops });
          }
          return this.backtrack(false);
        }
        this.path.push(hop.peer);
        return this.ask(hop.peer);
    }
  }

  private ask(peer: Peer<R>): WalkStep<R> {
    if (++this.steps > this.maxSteps) {
      return this.finish({ kind: 'failed', reason: `no owner found within ${this.maxSteps} routing steps`, hops: this.hops });
    }
    return { kind: 'ask', peer, avoid: [...this.avoid] };
  }

  private finish(step: WalkStep<R>): WalkStep<R> {
    this.finished = step;
    return step;
  }
}
