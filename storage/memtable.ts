import { LSM_DEFAULTS } from './defaults.js';
import { MAX_SEQUENCE, ValueType, type InternalIterator, type LookupResult } from './internal-key.js';
import { MemEntry, MemtableTree, TreeCursor } from './memtable-tree.js';

/**
 * The in-memory write buffer. Becomes immutable when full and is then flushed
 * to an L0 table. Tracks the WAL file that holds its writes and the highest
 * Raft index applied into it, so a flush can tell recovery where to resume.
 */
export class Memtable {
  private readonly tree = new MemtableTree();
  private bytes = 0;
  /** Highest Raft log index applied through this memtable (0: none). */
  maxAppliedIndex = 0;
  firstSeq = 0;
  lastSeq = 0;

  /** `_seed` is kept for replayable configurations; the tree needs no randomness. */
  constructor(readonly walNumber: number, _seed?: number) {}

  get approximateBytes(): number {
    return this.bytes;
  }

  get count(): number {
    return this.tree.count;
  }

  add(seq: number, type: ValueType, key: Buffer, value: Buffer): void {
    this.tree.insert(key, seq, type, value);
    this.bytes += key.length + value.length + LSM_DEFAULTS.memtableEntryOverheadBytes;
    if (this.firstSeq === 0) this.firstSeq = seq;
    this.lastSeq = seq;
  }

  /** The newest version of `key` with seq <= `maxSeq`, or null if this memtable has none. */
  get(key: Buffer, maxSeq: number = MAX_SEQUENCE): LookupResult | null {
    const e = this.tree.find(key, maxSeq);
    if (e === null || !e.key.equals(key)) return null;
    return e;
  }

  iterator(maxSeq: number = MAX_SEQUENCE): InternalIterator {
    return new MemtableIterator(this.tree, maxSeq);
  }
}

/** Walks the tree, hiding versions newer than the reader's sequence number. */
class MemtableIterator implements InternalIterator {
  private readonly cursor = new TreeCursor();
  private cur: MemEntry | null = null;
  constructor(private readonly tree: MemtableTree, private readonly maxSeq: number) {}

  private settle(): void {
    this.cur = this.tree.entryAt(this.cursor);
    while (this.cur !== null && this.cur.seq > this.maxSeq) {
      this.tree.advance(this.cursor, this.cur);
      this.cur = this.tree.entryAt(this.cursor);
    }
  }
  valid(): boolean {
    return this.cur !== null;
  }
  seekToFirst(): void {
    this.tree.seekToFirst(this.cursor);
    this.settle();
  }
  seek(userKey: Buffer): void {
    this.tree.seek(userKey, MAX_SEQUENCE, this.cursor);
    this.settle();
  }
  next(): void {
    this.tree.advance(this.cursor, this.cur!);
    this.settle();
  }
  key(): Buffer {
    return this.cur!.key;
  }
  seq(): number {
    return this.cur!.seq;
  }
  type(): ValueType {
    return this.cur!.type;
  }
  value(): Buffer {
    return this.cur!.value;
  }
}
