import { LSM_DEFAULTS } from './defaults.js';
import { MAX_SEQUENCE, ValueType, type InternalIterator, type LookupResult } from './internal-key.js';
import { SkipList, type SkipNode } from './skiplist.js';

/**
 * The in-memory write buffer. Becomes immutable when full and is then flushed
 * to an L0 table. Tracks the WAL file that holds its writes and the highest
 * Raft index applied into it, so a flush can tell recovery where to resume.
 */
export class Memtable {
  private readonly list: SkipList;
  private bytes = 0;
  /** Highest Raft log index applied through this memtable (0: none). */
  maxAppliedIndex = 0;
  firstSeq = 0;
  lastSeq = 0;

  constructor(readonly walNumber: number, seed?: number) {
    this.list = new SkipList(seed);
  }

  get approximateBytes(): number {
    return this.bytes;
  }

  get count(): number {
    return this.list.count;
  }

  add(seq: number, type: ValueType, key: Buffer, value: Buffer): void {
    this.list.insert(key, seq, type, value);
    this.bytes += key.length + value.length + LSM_DEFAULTS.memtableEntryOverheadBytes;
    if (this.firstSeq === 0) this.firstSeq = seq;
    this.lastSeq = seq;
  }

  /** The newest version of `key` with seq <= `maxSeq`, or null if this memtable has none. */
  get(key: Buffer, maxSeq: number = MAX_SEQUENCE): LookupResult | null {
    const node = this.list.seek(key, maxSeq);
    if (node === null || !node.key.equals(key)) return null;
    return node;
  }

  iterator(maxSeq: number = MAX_SEQUENCE): InternalIterator {
    return new MemtableIterator(this.list, maxSeq);
  }
}

/** Walks the skiplist, hiding versions newer than the reader's sequence number. */
class MemtableIterator implements InternalIterator {
  private node: SkipNode | null = null;
  constructor(private readonly list: SkipList, private readonly maxSeq: number) {}

  private skipInvisible(): void {
    while (this.node !== null && this.node.seq > this.maxSeq) this.node = this.node.next[0]!;
  }
  valid(): boolean {
    return this.node !== null;
  }
  seekToFirst(): void {
    this.node = this.list.first();
    this.skipInvisible();
  }
  seek(userKey: Buffer): void {
    this.node = this.list.seek(userKey, MAX_SEQUENCE);
    this.skipInvisible();
  }
  next(): void {
    this.node = this.node!.next[0]!;
    this.skipInvisible();
  }
  key(): Buffer {
    return this.node!.key;
  }
  seq(): number {
    return this.node!.seq;
  }
  type(): ValueType {
    return this.node!.type;
  }
  value(): Buffer {
    return this.node!.value;
  }
}
