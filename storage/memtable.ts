import { LSM_DEFAULTS } from './defaults.js';
import { MAX_SEQUENCE, ValueType, type InternalIterator, type LookupResult } from './internal-key.js';
import { MemEntry, MemtableTree, TreeCursor } from './memtable-tree.js';

/**
 * The in-memory write buffer. Becomes immutable when full and is then flushed
 * to an L0 table. Tracks the WAL file that holds its writes and the highest
 * Raft index applied into it, so a flush can tell recovery where to resume.
 */
/** Arena chunk size: large enough to amortise allocation, small enough not to waste much at the end. */
const ARENA_CHUNK_BYTES = 1 << 20;

export class Memtable {
  private readonly tree = new MemtableTree();
  private bytes = 0;
  private arena: Buffer = Buffer.alloc(0);
  private arenaUsed = 0;
  /** Every arena chunk, by number; the last one is `arena`. */
  readonly chunks: Buffer[] = [];
  /** Highest Raft log index applied through this memtable (0: none). */
  maxAppliedIndex = 0;
  firstSeq = 0;
  lastSeq = 0;

  constructor(readonly walNumber: number) {}

  get approximateBytes(): number {
    return this.bytes;
  }

  get count(): number {
    return this.tree.count;
  }

  /** Room for `n` bytes in the arena; returns the offset. */
  private reserve(n: number): number {
    if (this.arenaUsed + n > this.arena.length) {
      this.arena = Buffer.allocUnsafeSlow(Math.max(ARENA_CHUNK_BYTES, n));
      this.arenaUsed = 0;
      this.chunks.push(this.arena);
    }
    const off = this.arenaUsed;
    this.arenaUsed += n;
    return off;
  }

  /** Adds a version of `key` (already carrying its keyspace tag); both buffers are copied. */
  add(seq: number, type: ValueType, key: Uint8Array, value: Uint8Array): void {
    const klen = key.length;
    const vlen = value.length;
    const off = this.reserve(klen + vlen);
    const arena = this.arena;
    arena.set(key, off);
    if (vlen > 0) arena.set(value, off + klen);
    this.insertEntry(new MemEntry(this.chunks.length - 1, arena, off, klen, vlen, seq, type));
  }

  /** As `add`, with the keyspace tag given apart so no tagged key has to be built. */
  addTagged(seq: number, type: ValueType, tag: number, key: Uint8Array, value: Uint8Array): void {
    const klen = key.length + 1;
    const vlen = value.length;
    const off = this.reserve(klen + vlen);
    const arena = this.arena;
    arena[off] = tag;
    arena.set(key, off + 1);
    if (vlen > 0) arena.set(value, off + klen);
    this.insertEntry(new MemEntry(this.chunks.length - 1, arena, off, klen, vlen, seq, type));
  }

  private insertEntry(e: MemEntry): void {
    this.tree.insert(e);
    const seq = e.seq;
    this.bytes += e.klen + e.vlen + LSM_DEFAULTS.memtableEntryOverheadBytes;
    if (this.firstSeq === 0) this.firstSeq = seq;
    this.lastSeq = seq;
  }

  /** The newest version of `key` with seq <= `maxSeq`, or null if this memtable has none. */
  get(key: Buffer, maxSeq: number = MAX_SEQUENCE): LookupResult | null {
    const e = this.tree.find(key, maxSeq);
    if (e === null || !e.keyEquals(key)) return null;
    return e;
  }

  /** Bytes of the last arena chunk in use (the rest of it is free space). */
  get lastChunkUsed(): number {
    return this.arenaUsed;
  }

  forEachEntry(f: (e: MemEntry) => void): void {
    this.tree.forEach(f);
  }

  iterator(maxSeq: number = MAX_SEQUENCE): InternalIterator {
    return new MemtableIterator(this.tree, maxSeq);
  }
}

/** Walks the tree, hiding versions newer than the reader's sequence number. */
class MemtableIterator implements InternalIterator {
  private readonly cursor = new TreeCursor();
  private cur: MemEntry | null = null;
  /** Views of the current entry's bytes, made once per position (merges ask for the key often). */
  private curKey: Buffer | null = null;
  constructor(private readonly tree: MemtableTree, private readonly maxSeq: number) {}

  private settle(): void {
    this.cur = this.tree.entryAt(this.cursor);
    while (this.cur !== null && this.cur.seq > this.maxSeq) {
      this.tree.advance(this.cursor, this.cur);
      this.cur = this.tree.entryAt(this.cursor);
    }
    this.curKey = null;
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
    if (this.curKey === null) this.curKey = this.cur!.key;
    return this.curKey;
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
