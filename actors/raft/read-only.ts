import type { NodeId } from './types.js';

/** A read the leader may serve once its state machine has applied `index`. */
export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}

/**
 * 'safe' confirms leadership with a heartbeat round per batch of reads;
 * 'leaseBased' trusts the leader lease (needs CheckQuorum and bounded clock drift).
 */
export type ReadOnlyOption = 'safe' | 'leaseBased';

interface PendingRead {
  readonly index: number;
  readonly context: Uint8Array;
  /** Which node asked (the leader itself or a follower that forwarded it). */
  readonly from: NodeId;
  readonly acks: Set<NodeId>;
}

function key(ctx: Uint8Array): string {
  return Buffer.from(ctx.buffer, ctx.byteOffset, ctx.byteLength).toString('base64');
}

/**
 * ReadIndex requests waiting for a heartbeat quorum, in arrival order. An ack
 * for a request also confirms every request queued before it, because the
 * follower that acked saw the leader still in charge at a later moment.
 */
export class ReadOnlyQueue {
  private readonly pending = new Map<string, PendingRead>();
  private readonly queue: string[] = [];

  add(index: number, context: Uint8Array, from: NodeId, self: NodeId): void {
    const k = key(context);
    if (this.pending.has(k)) return;
    this.pending.set(k, { index, context, from, acks: new Set([self]) });
    this.queue.push(k);
  }

  /** Records an ack and returns the acks for that request so far (undefined if unknown). */
  recvAck(from: NodeId, context: Uint8Array): ReadonlySet<NodeId> | undefined {
    const r = this.pending.get(key(context));
    if (!r) return undefined;
    r.acks.add(from);
    return r.acks;
  }

  /** Removes and returns every request up to and including the one with `context`. */
  advance(context: Uint8Array): { index: number; context: Uint8Array; from: NodeId }[] {
    const k = key(context);
    const at = this.queue.indexOf(k);
    if (at < 0) return [];
    const done = this.queue.splice(0, at + 1).map((q) => this.pending.get(q)!);
    for (const q of done) this.pending.delete(key(q.context));
    return done.map((r) => ({ index: r.index, context: r.context, from: r.from }));
  }

  lastPendingContext(): Uint8Array | undefined {
    const k = this.queue[this.queue.length - 1];
    return k === undefined ? undefined : this.pending.get(k)!.context;
  }

  size(): number {
    return this.queue.length;
  }

  clear(): void {
    this.pending.clear();
    this.queue.length = 0;
  }
}
