import { Block, BlockIterator } from './block.js';
import type { BlockCache, BlockCacheOwner } from './block-cache.js';
import { bloomHash, bloomMayContain } from './bloom.js';
import { crc32Range, mask } from './checksum.js';
import { currentGen, currentSlab, SLAB_BYTES, slabRef, slabRoom, slabUnref, slabUnreserve, type Slab } from './read-slab.js';
import { CorruptionError } from './errors.js';
import { compareBytes, keyPrefix48, type InternalIterator, type LookupResult, type ValueType } from './internal-key.js';
import {
  BLOCK_TRAILER_BYTES,
  decodeFooter,
  decodeHandle,
  decodeProps,
  FOOTER_BYTES,
  verifyBlock,
  type BlockHandle,
  type TableProperties,
} from './sstable-format.js';

/** Where a table's bytes come from: a file on disk or a buffer (merge jobs). */
export interface BlockSource {
  read(offset: number, length: number): Buffer;
  readInto?(target: Buffer, targetOffset: number, length: number, offset: number): number;
  readonly sizeBytes: number;
  close(): void;
}

export function bufferSource(bytes: Buffer): BlockSource {
  return {
    sizeBytes: bytes.length,
    read: (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
    close: () => {},
  };
}

let lookupCursor: BlockIterator | null = null;

/**
 * A cache hit on a block whose slab is more than this many slabs old copies
 * the block to the current slab (see read-slab.ts). A block that keeps being
 * hit would otherwise hold its whole 1 MiB slab for as long as it stays
 * cached; blocks that are never hit leave an 8 MiB cache within about 8 slabs
 * of reads, so old slabs empty out and are reused.
 */
const rehomeAfterSlabs = 4;

/** Moves a cached block's (verified, immutable) bytes to the current slab; an iterator holding the old view keeps its own pin. */
function rehome(b: Block): void {
  const n = b.data.length;
  const at = slabRoom(n);
  const s = currentSlab();
  b.data.copy(s.buf, at, 0, n);
  const old = b.slab;
  b.data = s.buf.subarray(at, at + n);
  b.slab = s;
  slabRef(s);
  slabUnref(old);
}

/** The block trailer check of verifyBlock, on `raw` in place (no views made). */
function checkBlockTrailer(raw: Buffer, size: number, name: string, offset: number): void {
  const expected = raw.readUInt32LE(size + 1);
  const actual = mask(crc32Range(raw, size, size + 1, crc32Range(raw, 0, size)));
  if (expected !== actual) throw new CorruptionError(`${name} data block at ${offset}: block checksum mismatch`);
  if (raw[size] !== 0) throw new CorruptionError(`${name} data block at ${offset}: unknown compression type ${raw[size]}`);
}

/** Called with every corruption found, before it is thrown, so the engine can count and report it. */
export type CorruptionListener = (err: CorruptionError) => void;

/**
 * Reads one SSTable. Footer, properties, index and filter are verified and
 * held at open; data blocks are verified on every read from the source and
 * only then cached, so a damaged block is never served.
 */
export class SSTableReader implements BlockCacheOwner {
  /** The index decoded once at open: last key of each block, its 48-bit prefix, and the block handle. */
  private readonly idxKeys: Buffer[] = [];
  private readonly idxPrefix: number[] = [];
  private readonly idxPrefix2: number[] = [];
  private readonly idxOffset: number[] = [];
  private readonly idxSize: number[] = [];
  /** Blocks of this table currently in the block cache, by block number. */
  private readonly cached: (Block | undefined)[] = [];

  private constructor(
    private readonly source: BlockSource,
    readonly fileNumber: number,
    readonly name: string,
    private readonly cache: BlockCache | null,
    index: Block,
    private readonly filter: Buffer,
    readonly props: TableProperties,
    private readonly onCorruption: CorruptionListener | null,
  ) {
    const it = index.iterator();
    for (it.seekToFirst(); it.valid(); it.next()) {
      const k = it.key();
      const h = decodeHandle(it.value(), `${name} index`);
      this.idxKeys.push(k);
      this.idxPrefix.push(keyPrefix48(k));
      this.idxPrefix2.push(keyPrefix48(k, 6));
      this.idxOffset.push(h.offset);
      this.idxSize.push(h.size);
    }
  }

  get numBlocks(): number {
    return this.idxKeys.length;
  }

  blockHandle(i: number): BlockHandle {
    return { offset: this.idxOffset[i]!, size: this.idxSize[i]! };
  }

  /** Index of the first block whose last key is >= key (numBlocks if none). */
  findBlock(key: Buffer): number {
    const prefix = keyPrefix48(key);
    const prefix2 = keyPrefix48(key, 6);
    const keys = this.idxKeys;
    const prefixes = this.idxPrefix;
    const prefixes2 = this.idxPrefix2;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = prefixes[mid]!;
      const p2 = prefixes2[mid]!;
      const less =
        p !== prefix ? p < prefix : p2 !== prefix2 ? p2 < prefix2 : compareBytes(keys[mid]!, 0, keys[mid]!.length, key, 0, key.length) < 0;
      if (less) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  static open(
    source: BlockSource,
    fileNumber: number,
    name: string,
    cache: BlockCache | null = null,
    onCorruption: CorruptionListener | null = null,
  ): SSTableReader {
    try {
      if (source.sizeBytes < FOOTER_BYTES) throw new CorruptionError(`${name}: file too short (${source.sizeBytes} bytes)`);
      const footer = decodeFooter(source.read(source.sizeBytes - FOOTER_BYTES, FOOTER_BYTES), name);
      const readMeta = (h: BlockHandle, what: string): Buffer => {
        if (h.offset + h.size + BLOCK_TRAILER_BYTES > source.sizeBytes - FOOTER_BYTES) {
          throw new CorruptionError(`${name}: ${what} block handle out of range`);
        }
        return verifyBlock(source.read(h.offset, h.size + BLOCK_TRAILER_BYTES), `${name} ${what} block at ${h.offset}`);
      };
      const index = new Block(Buffer.from(readMeta(footer.index, 'index')), `${name} index block`);
      const filter = Buffer.from(readMeta(footer.filter, 'filter'));
      const props = decodeProps(readMeta(footer.props, 'properties'), name);
      return new SSTableReader(source, fileNumber, name, cache, index, filter, props, onCorruption);
    } catch (e) {
      if (e instanceof CorruptionError) onCorruption?.(e);
      throw e;
    }
  }

  close(): void {
    if (this.cache !== null) for (const b of this.cached) if (b !== undefined) this.cache.remove(b);
    this.source.close();
  }

  dropCachedBlock(slot: number): void {
    this.cached[slot] = undefined;
  }

  /** Reads, verifies and (if cached) remembers data block number `i`. */
  readBlock(i: number, fillCache = true): Block {
    const cache = this.cache;
    if (cache !== null) {
      const hit = this.cached[i];
      if (hit !== undefined) {
        cache.touch(hit);
        // Verified when it was read from disk; a hit serves the same immutable bytes without re-checking them.
        if (hit.slab !== null && currentGen() - hit.slab.gen > rehomeAfterSlabs) rehome(hit);
        return hit;
      }
      cache.misses++;
    }
    const offset = this.idxOffset[i]!;
    const size = this.idxSize[i]!;
    let block: Block;
    try {
      const raw = this.readRaw(offset, size + BLOCK_TRAILER_BYTES);
      if (raw.length !== size + BLOCK_TRAILER_BYTES) throw new CorruptionError(`${this.name} data block at ${offset}: truncated`);
      // Every byte read from the file is checked before anything parses it.
      checkBlockTrailer(raw, size, this.name, offset);
      block = new Block(raw.subarray(0, size), this.name, offset);
      const s = currentSlab();
      block.slab = raw.buffer === s.buf.buffer ? s : null;
    } catch (e) {
      if (e instanceof CorruptionError) this.onCorruption?.(e);
      throw e;
    }
    if (cache !== null && fillCache && cache.insert(this, i, block)) this.cached[i] = block;
    return block;
  }

  /** Reads into the current read slab (read-slab.ts) when the source can read in place. */
  private readRaw(offset: number, length: number): Buffer {
    const src = this.source;
    if (src.readInto === undefined || length > SLAB_BYTES / 4) return src.read(offset, length);
    const at = slabRoom(length);
    const buf = currentSlab().buf;
    const got = src.readInto(buf, at, length, offset);
    if (got < length) slabUnreserve(length - got);
    return buf.subarray(at, at + got);
  }

  mayContain(hash: number): boolean {
    return bloomMayContain(this.filter, hash);
  }

  /** Point lookup; `hash` is bloomHash(key), computed once by the caller for all tables. */
  get(key: Buffer, hash: number = bloomHash(key)): LookupResult | null {
    if (!bloomMayContain(this.filter, hash)) return null;
    const i = this.findBlock(key);
    if (i >= this.idxKeys.length) return null;
    const block = this.readBlock(i);
    // Gets are synchronous, so one cursor per process serves them all.
    const it = lookupCursor === null ? (lookupCursor = block.iterator()) : lookupCursor.reset(block);
    it.seek(key);
    if (!it.valid() || it.compareKey(key) !== 0) return null;
    // A view into the block; callers copy what they keep.
    return { type: it.type(), seq: it.seq(), value: it.value() };
  }

  iterator(fillCache = true): InternalIterator {
    return new TableIterator(this, fillCache);
  }
}

/** Two-level iterator: a position in the decoded index, then a data block cursor. */
class TableIterator implements InternalIterator {
  private blockIndex = 0;
  private data: BlockIterator | null = null;
  /** The read slab holding the block this cursor is in, counted while it is (see read-slab.ts). */
  private pin: Slab | null = null;

  constructor(private readonly table: SSTableReader, private readonly fillCache: boolean) {}

  private loadBlock(i: number): void {
    this.blockIndex = i;
    if (i >= this.table.numBlocks) {
      this.release();
      return;
    }
    const block = this.table.readBlock(i, this.fillCache);
    slabRef(block.slab);
    slabUnref(this.pin);
    this.pin = block.slab;
    this.data = this.data === null ? block.iterator() : this.data.reset(block);
  }

  private release(): void {
    this.data = null;
    slabUnref(this.pin);
    this.pin = null;
  }

  close(): void {
    this.release();
  }

  private skipEmpty(): void {
    while (this.data !== null && !this.data.valid()) {
      this.loadBlock(this.blockIndex + 1);
      this.data?.seekToFirst();
    }
  }

  valid(): boolean {
    return this.data !== null && this.data.valid();
  }
  seekToFirst(): void {
    this.loadBlock(0);
    this.data?.seekToFirst();
    this.skipEmpty();
  }
  seek(userKey: Buffer): void {
    this.loadBlock(this.table.findBlock(userKey));
    this.data?.seek(userKey);
    this.skipEmpty();
  }
  next(): void {
    this.data!.next();
    this.skipEmpty();
  }
  key(): Buffer {
    return this.data!.key();
  }
  seq(): number {
    return this.data!.seq();
  }
  type(): ValueType {
    return this.data!.type();
  }
  value(): Buffer {
    return this.data!.value();
  }
}
