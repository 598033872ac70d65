import { compareKeys, type InternalIterator, type ValueType } from './internal-key.js';

/**
 * Merges sorted cursors into one (key ascending, newest version first) with a
 * binary heap. Versions of a key from different sources all come out; callers
 * keep the first (newest) and skip the rest.
 */
export class MergingIterator implements InternalIterator {
  private heap: InternalIterator[] = [];

  constructor(private readonly children: readonly InternalIterator[]) {}

  private static less(a: InternalIterator, b: InternalIterator): boolean {
    const c = compareKeys(a.key(), b.key());
    if (c !== 0) return c < 0;
    return a.seq() > b.seq();
  }

  private rebuild(): void {
    this.heap = this.children.filter((c) => c.valid());
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const m = r < n && MergingIterator.less(h[r]!, h[l]!) ? r : l;
      if (!MergingIterator.less(h[m]!, h[i]!)) return;
      const t = h[i]!;
      h[i] = h[m]!;
      h[m] = t;
      i = m;
    }
  }

  valid(): boolean {
    return this.heap.length > 0;
  }
  close(): void {
    for (const c of this.children) c.close?.();
    this.heap = [];
  }
  seekToFirst(): void {
    for (const c of this.children) c.seekToFirst();
    this.rebuild();
  }
  seek(userKey: Buffer): void {
    for (const c of this.children) c.seek(userKey);
    this.rebuild();
  }
  next(): void {
    const top = this.heap[0]!;
    top.next();
    if (!top.valid()) {
      const last = this.heap.pop()!;
      if (this.heap.length === 0) return;
      if (last !== top) this.heap[0] = last;
    }
    this.siftDown(0);
  }
  key(): Buffer {
    return this.heap[0]!.key();
  }
  seq(): number {
    return this.heap[0]!.seq();
  }
  type(): ValueType {
    return this.heap[0]!.type();
  }
  value(): Buffer {
    return this.heap[0]!.value();
  }
}
