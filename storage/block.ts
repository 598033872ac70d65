import type { BlockCacheOwner } from './block-cache.js';
import type { Slab } from './read-slab.js';
import { getVarint, varintOut } from './coding.js';
import { CorruptionError } from './errors.js';
import { compareBytes, type InternalIterator, type ValueType } from './internal-key.js';

/** A verified, parsed block (see FORMAT.md) and the cursor over it. */
export class Block {
  readonly restartsOffset: number;
  readonly numRestarts: number;
  /** Block cache bookkeeping (see BlockCache): recency links and where the block is held. */
  lruPrev: Block | null = null;
  lruNext: Block | null = null;
  cacheOwner: BlockCacheOwner | null = null;
  cacheSlot = 0;

  /** The read slab `data` was cut from (see read-slab.ts), or null for a buffer of its own. */
  slab: Slab | null = null;

  /**
   * `data` is verified contents; `label` and `offset` name it in errors
   * (`<label> data block at <offset>`, or just `label` without an offset) —
   * kept apart so a block read costs no string building.
   */
  constructor(public data: Buffer, private readonly label: string, private readonly offset = -1) {
    if (data.length < 4) throw new CorruptionError(`${this.where}: block too short`);
    this.numRestarts = data.readUInt32LE(data.length - 4);
    this.restartsOffset = data.length - 4 - this.numRestarts * 4;
    if (this.numRestarts < 1 || this.restartsOffset < 0) throw new CorruptionError(`${this.where}: bad restart array`);
  }

  get where(): string {
    return this.offset < 0 ? this.label : `${this.label} data block at ${this.offset}`;
  }

  get chargeBytes(): number {
    return this.data.length + 64;
  }

  iterator(): BlockIterator {
    return new BlockIterator(this);
  }
}

/**
 * Decodes entries in place. The current key lives in a scratch buffer that the
 * next step overwrites; `key()` returns a copy, `keyView()` the scratch.
 */
export class BlockIterator implements InternalIterator {
  private d: Buffer;
  private scratch = Buffer.allocUnsafe(64);
  private keyLen = 0;
  private cur = -1;
  private nextPos = 0;
  private seqV = 0;
  private typeV = 0;
  private valStart = 0;
  private valLen = 0;
  /** Copy of the current key, made on first request per position (merges ask many times). */
  private keyCopy: Buffer | null = null;

  constructor(private block: Block) {
    this.d = block.data;
  }

  /** Points this cursor at another block (point lookups reuse one cursor). */
  reset(block: Block): this {
    this.block = block;
    this.d = block.data;
    this.cur = -1;
    this.keyLen = 0;
    return this;
  }

  private corrupt(why: string): never {
    throw new CorruptionError(`${this.block.where}: malformed entry (${why})`);
  }

  private restartPoint(i: number): number {
    return this.d.readUInt32LE(this.block.restartsOffset + i * 4);
  }

  /** Decodes the entry at `pos`; false at the end of the entries. */
  private decodeAt(pos: number): boolean {
    const limit = this.block.restartsOffset;
    if (pos >= limit) {
      this.cur = -1;
      return false;
    }
    const d = this.d;
    let shared: number;
    let unshared: number;
    let vlen: number;
    // Fast path: all three varints are single bytes (the common case).
    if (pos + 3 <= limit && d[pos]! < 128 && d[pos + 1]! < 128 && d[pos + 2]! < 128) {
      shared = d[pos]!;
      unshared = d[pos + 1]!;
      vlen = d[pos + 2]!;
      pos += 3;
    } else {
      if (!getVarint(d, pos, limit)) this.corrupt('shared');
      shared = varintOut.value;
      if (!getVarint(d, varintOut.pos, limit)) this.corrupt('unshared');
      unshared = varintOut.value;
      if (!getVarint(d, varintOut.pos, limit)) this.corrupt('value length');
      vlen = varintOut.value;
      pos = varintOut.pos;
    }
    if (shared > this.keyLen || pos + unshared + 8 + vlen > limit) this.corrupt('lengths');
    const klen = shared + unshared;
    if (klen > this.scratch.length) {
      const grown = Buffer.allocUnsafe(Math.max(klen, this.scratch.length * 2));
      this.scratch.copy(grown, 0, 0, shared);
      this.scratch = grown;
    }
    // Key suffixes are short: a byte loop beats Buffer#copy, whose argument handling costs more than the bytes.
    if (unshared <= 32) {
      const sc = this.scratch;
      for (let i = 0; i < unshared; i++) sc[shared + i] = d[pos + i]!;
    } else d.copy(this.scratch, shared, pos, pos + unshared);
    pos += unshared;
    this.keyLen = klen;
    this.seqV = d.readUIntLE(pos, 6);
    this.typeV = d[pos + 7]!;
    pos += 8;
    this.valStart = pos;
    this.valLen = vlen;
    this.nextPos = pos + vlen;
    this.keyCopy = null;
    return true;
  }

  private startAt(pos: number): void {
    this.keyLen = 0;
    this.cur = pos;
    if (!this.decodeAt(pos)) this.cur = -1;
  }

  valid(): boolean {
    return this.cur >= 0;
  }

  seekToFirst(): void {
    this.startAt(0);
  }

  next(): void {
    this.cur = this.nextPos;
    if (!this.decodeAt(this.nextPos)) this.cur = -1;
  }

  /** First entry with key >= target: binary search over restart keys, then a short scan. */
  seek(target: Buffer): void {
    const d = this.d;
    let lo = 0;
    let hi = this.block.numRestarts - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      const p = this.restartPoint(mid);
      // Keys at restart points are stored whole (shared = 0).
      if (!getVarint(d, p, this.block.restartsOffset)) this.corrupt('restart entry');
      if (!getVarint(d, varintOut.pos, this.block.restartsOffset)) this.corrupt('restart entry');
      const unshared = varintOut.value;
      if (!getVarint(d, varintOut.pos, this.block.restartsOffset)) this.corrupt('restart entry');
      const ks = varintOut.pos;
      if (ks + unshared > this.block.restartsOffset) this.corrupt('restart key');
      if (compareBytes(target, 0, target.length, d, ks, ks + unshared) > 0) lo = mid;
      else hi = mid - 1;
    }
    this.startAt(this.restartPoint(lo));
    while (this.cur >= 0 && compareBytes(target, 0, target.length, this.scratch, 0, this.keyLen) > 0) this.next();
  }

  /** Compares `target` with the current key without copying it. */
  compareKey(target: Buffer): number {
    return compareBytes(target, 0, target.length, this.scratch, 0, this.keyLen);
  }

  key(): Buffer {
    if (this.keyCopy === null) this.keyCopy = Buffer.from(this.scratch.subarray(0, this.keyLen));
    return this.keyCopy;
  }
  keyView(): Buffer {
    return this.scratch.subarray(0, this.keyLen);
  }
  seq(): number {
    return this.seqV;
  }
  type(): ValueType {
    return this.typeV as ValueType;
  }
  /** A view into the block (blocks are immutable once read). */
  value(): Buffer {
    return this.d.subarray(this.valStart, this.valStart + this.valLen);
  }
}
