import type { InternalIterator, ValueType } from './internal-key.js';
import type { TableCache } from './table-cache.js';
import type { FileMeta } from './version.js';

/** Walks the non-overlapping files of one level as a single sorted cursor, opening one file at a time. */
export class LevelIterator implements InternalIterator {
  private index = 0;
  private cur: InternalIterator | null = null;

  constructor(private readonly files: readonly FileMeta[], private readonly tables: TableCache) {}

  private open(i: number): void {
    this.cur?.close?.();
    this.index = i;
    this.cur = i < this.files.length ? this.tables.get(this.files[i]!).iterator() : null;
  }

  private skipExhausted(): void {
    while (this.cur !== null && !this.cur.valid()) {
      this.open(this.index + 1);
      this.cur?.seekToFirst();
    }
  }

  valid(): boolean {
    return this.cur !== null && this.cur.valid();
  }
  close(): void {
    this.cur?.close?.();
    this.cur = null;
  }
  seekToFirst(): void {
    this.open(0);
    this.cur?.seekToFirst();
    this.skipExhausted();
  }
  seek(userKey: Buffer): void {
    let lo = 0;
    let hi = this.files.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Buffer.compare(this.files[mid]!.largest, userKey) < 0) lo = mid + 1;
      else hi = mid;
    }
    this.open(lo);
    this.cur?.seek(userKey);
    this.skipExhausted();
  }
  next(): void {
    this.cur!.next();
    this.skipExhausted();
  }
  key(): Buffer {
    return this.cur!.key();
  }
  seq(): number {
    return this.cur!.seq();
  }
  type(): ValueType {
    return this.cur!.type();
  }
  value(): Buffer {
    return this.cur!.value();
  }
}
