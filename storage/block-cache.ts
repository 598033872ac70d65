import type { Block } from './block.js';

/**
 * LRU cache of verified data blocks, bounded by bytes. A Map keeps insertion
 * order, so re-inserting on a hit is the LRU update. Keys are numbers
 * (file number x 2^32 + block offset) to avoid building strings per lookup.
 */
export class BlockCache {
  private readonly map = new Map<number, Block>();
  private usedBytes = 0;
  hits = 0;
  misses = 0;

  constructor(readonly capacityBytes: number) {}

  static key(fileNumber: number, offset: number): number {
    return fileNumber * 4294967296 + offset;
  }

  get(key: number): Block | undefined {
    const b = this.map.get(key);
    if (b === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(key);
    this.map.set(key, b);
    return b;
  }

  insert(key: number, block: Block): void {
    if (this.capacityBytes <= 0) return;
    const old = this.map.get(key);
    if (old !== undefined) {
      this.usedBytes -= old.chargeBytes;
      this.map.delete(key);
    }
    this.map.set(key, block);
    this.usedBytes += block.chargeBytes;
    while (this.usedBytes > this.capacityBytes) {
      // The first key in insertion order is the least recently used.
      const oldest = this.map.keys().next().value as number;
      const b = this.map.get(oldest)!;
      this.map.delete(oldest);
      this.usedBytes -= b.chargeBytes;
    }
  }

  /** Blocks of deleted files simply age out: file numbers are never reused. */
  get sizeBytes(): number {
    return this.usedBytes;
  }
}
