import type { Block } from './block.js';
import { slabRef, slabUnref } from './read-slab.js';

/** Whoever holds cached blocks by slot (a table reader: slot = block number). */
export interface BlockCacheOwner {
  dropCachedBlock(slot: number): void;
}

/**
 * LRU cache of verified data blocks, bounded by bytes. Lookups never hash:
 * each table reader keeps its cached blocks in an array by block number, and
 * the cache only keeps the recency order as a doubly linked list threaded
 * through the blocks, evicting from the cold end.
 */
export class BlockCache {
  private head: Block | null = null;
  private tail: Block | null = null;
  private usedBytes = 0;
  hits = 0;
  misses = 0;

  constructor(readonly capacityBytes: number) {}

  get sizeBytes(): number {
    return this.usedBytes;
  }

  private unlink(b: Block): void {
    if (b.lruPrev !== null) b.lruPrev.lruNext = b.lruNext;
    else this.head = b.lruNext;
    if (b.lruNext !== null) b.lruNext.lruPrev = b.lruPrev;
    else this.tail = b.lruPrev;
    b.lruPrev = null;
    b.lruNext = null;
  }

  private pushFront(b: Block): void {
    b.lruPrev = null;
    b.lruNext = this.head;
    if (this.head !== null) this.head.lruPrev = b;
    this.head = b;
    if (this.tail === null) this.tail = b;
  }

  /** A cached block was used again. */
  touch(b: Block): void {
    this.hits++;
    if (this.head === b) return;
    this.unlink(b);
    this.pushFront(b);
  }

  /** Returns false (and caches nothing) when the cache is disabled. */
  insert(owner: BlockCacheOwner, slot: number, b: Block): boolean {
    if (this.capacityBytes <= 0) return false;
    b.cacheOwner = owner;
    b.cacheSlot = slot;
    this.pushFront(b);
    // The cache holds a view into the block's read slab: counted, so the slab is not reused under it.
    slabRef(b.slab);
    this.usedBytes += b.chargeBytes;
    while (this.usedBytes > this.capacityBytes && this.tail !== null) {
      const cold = this.tail;
      this.remove(cold);
    }
    return b.cacheOwner !== null;
  }

  /** Forgets a block (evicted, or its table closed). */
  remove(b: Block): void {
    if (b.cacheOwner === null) return;
    this.unlink(b);
    this.usedBytes -= b.chargeBytes;
    const owner = b.cacheOwner;
    b.cacheOwner = null;
    slabUnref(b.slab);
    owner.dropCachedBlock(b.cacheSlot);
  }
}
