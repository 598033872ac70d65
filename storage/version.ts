import { compareKeys } from './internal-key.js';

/** What the manifest records about one SSTable. */
export interface FileMeta {
  number: number;
  sizeBytes: number;
  smallest: Buffer;
  largest: Buffer;
  smallestSeq: number;
  largestSeq: number;
  numEntries: number;
  numDeletions: number;
}

/** Newest first: L0 files overlap, and a lookup must meet the newest version first. */
export function compareL0(a: FileMeta, b: FileMeta): number {
  return b.largestSeq - a.largestSeq || b.number - a.number;
}

export function compareBySmallest(a: FileMeta, b: FileMeta): number {
  return Buffer.compare(a.smallest, b.smallest) || a.number - b.number;
}

/**
 * One immutable file set: per level, the tables that make up the tree.
 * Readers pin a Version with `ref` so its files outlive compactions that drop them.
 */
export class Version {
  private refs = 0;

  constructor(readonly levels: readonly (readonly FileMeta[])[]) {}

  static empty(numLevels: number): Version {
    return new Version(Array.from({ length: numLevels }, () => []));
  }

  ref(): void {
    this.refs++;
  }
  unref(): void {
    this.refs--;
  }
  get pinned(): boolean {
    return this.refs > 0;
  }

  levelBytes(level: number): number {
    let n = 0;
    for (const f of this.levels[level]!) n += f.sizeBytes;
    return n;
  }

  get numLevels(): number {
    return this.levels.length;
  }

  /** Index of the first file in a sorted level whose largest key is >= key. */
  findFile(level: number, key: Buffer): number {
    const files = this.levels[level]!;
    let lo = 0;
    let hi = files.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(files[mid]!.largest, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Files of `level` whose key range meets [smallest, largest]. */
  overlapping(level: number, smallest: Buffer, largest: Buffer): FileMeta[] {
    const out: FileMeta[] = [];
    for (const f of this.levels[level]!) {
      if (Buffer.compare(f.largest, smallest) < 0 || Buffer.compare(f.smallest, largest) > 0) continue;
      out.push(f);
    }
    return out;
  }

  allFileNumbers(): number[] {
    const out: number[] = [];
    for (const level of this.levels) for (const f of level) out.push(f.number);
    return out;
  }
}
