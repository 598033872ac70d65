import type { SnapMsg } from './messages.js';
import type { Snapshot, SnapshotMeta } from './types.js';

export type ChunkOutcome =
  /** Not complete: ask the leader for the chunk at `nextOffset`. */
  | { readonly kind: 'need'; readonly nextOffset: number }
  | { readonly kind: 'done'; readonly snapshot: Snapshot };

/**
 * Reassembles an InstallSnapshot stream on a follower. Chunks must arrive in
 * order; one that does not fit (wrong snapshot, wrong offset, past the end)
 * is refused and the answer names the offset this side wants, so the leader
 * resumes from there. A chunk at offset 0 always starts over.
 */
export class SnapshotReceiver {
  private meta: SnapshotMeta | undefined;
  private total = 0;
  private received = 0;
  private chunks: Uint8Array[] = [];

  accept(m: SnapMsg): ChunkOutcome {
    if (m.offset === 0) {
      this.meta = m.meta;
      this.total = m.totalBytes;
      this.received = 0;
      this.chunks = [];
    }
    const same = this.meta !== undefined && this.meta.index === m.meta.index && this.meta.term === m.meta.term;
    if (!same || m.offset !== this.received || this.received + m.chunk.byteLength > this.total) {
      return { kind: 'need', nextOffset: same ? this.received : 0 };
    }
    if (m.chunk.byteLength > 0) {
      this.chunks.push(m.chunk);
      this.received += m.chunk.byteLength;
    }
    if (this.received < this.total) return { kind: 'need', nextOffset: this.received };
    const data = new Uint8Array(this.total);
    let at = 0;
    for (const c of this.chunks) {
      data.set(c, at);
      at += c.byteLength;
    }
    const snapshot: Snapshot = { meta: this.meta!, data };
    this.reset();
    return { kind: 'done', snapshot };
  }

  reset(): void {
    this.meta = undefined;
    this.total = 0;
    this.received = 0;
    this.chunks = [];
  }
}
