import { describe, expect, it } from 'vitest';
import { estimatePendingCompactionBytes, levelScores, levelTargetBytes, pickCompaction, type LevelOptions } from './compaction-picker.js';
import { Version, type FileMeta } from './version.js';

const MB = 1024 * 1024;
const o: LevelOptions = {
  numLevels: 5,
  level0FileNumCompactionTrigger: 4,
  maxBytesForLevelBaseBytes: 64 * MB,
  maxBytesForLevelMultiplier: 10,
  targetFileSizeBaseBytes: 16 * MB,
  targetFileSizeMultiplier: 1,
  maxCompactionBytesFactor: 25,
};

let n = 1;
const f = (lo: string, hi: string, sizeBytes: number): FileMeta => ({
  number: n++,
  sizeBytes,
  smallest: Buffer.from(lo),
  largest: Buffer.from(hi),
  smallestSeq: n,
  largestSeq: n,
  numEntries: 1,
  numDeletions: 0,
});

describe('compaction picker', () => {
  it('targets grow by the multiplier from the base', () => {
    expect(levelTargetBytes(1, o)).toBe(64 * MB);
    expect(levelTargetBytes(3, o)).toBe(6400 * MB);
  });

  it('does nothing below the L0 trigger and compacts all of L0 with the overlapping L1 files at it', () => {
    const l1 = [f('a', 'c', MB), f('d', 'f', MB), f('x', 'z', MB)];
    const three = new Version([[f('b', 'e', MB), f('a', 'b', MB), f('c', 'd', MB)], l1, [], [], []]);
    expect(pickCompaction(three, new Set(), o)).toBeNull();
    const four = new Version([[...three.levels[0]!, f('b', 'c', MB)], l1, [], [], []]);
    const p = pickCompaction(four, new Set(), o)!;
    expect(p.level).toBe(0);
    expect(p.inputs).toHaveLength(4);
    expect(p.outputInputs.map((x) => x.smallest.toString())).toEqual(['a', 'd']);
    expect(p.dropTombstones).toBe(true);
  });

  it('keeps tombstones when a deeper level overlaps, and skips busy files', () => {
    const l0 = [f('a', 'b', MB), f('a', 'b', MB), f('a', 'b', MB), f('a', 'b', MB)];
    const v = new Version([l0, [], [f('a', 'a', MB)], [], []]);
    expect(pickCompaction(v, new Set(), o)!.dropTombstones).toBe(false);
    expect(pickCompaction(v, new Set([l0[0]!.number]), o)).toBeNull();
  });

  it('picks the level with the highest score and the file with least overlap (kMinOverlappingRatio)', () => {
    const big = 40 * MB;
    const l1 = [f('a', 'b', big), f('m', 'n', big)];
    const l2 = [f('a', 'b', 100 * MB), f('m', 'm', MB)];
    const v = new Version([[], l1, l2, [], []]);
    const scores = levelScores(v, new Set(), o);
    expect(scores[0]).toEqual({ level: 1, score: 80 / 64 });
    const p = pickCompaction(v, new Set(), o)!;
    expect(p.level).toBe(1);
    expect(p.inputs[0]!.smallest.toString()).toBe('m');
  });

  it('moves a file with nothing under it without rewriting it', () => {
    const v = new Version([[], [f('a', 'b', 70 * MB)], [f('x', 'y', MB)], [], []]);
    expect(pickCompaction(v, new Set(), o)!.trivialMove).toBe(true);
  });

  it('estimates pending compaction bytes as RocksDB does', () => {
    expect(estimatePendingCompactionBytes(new Version([[f('a', 'b', MB)], [], [], [], []]), o)).toBe(0);
    // L0 at the trigger: L0 bytes plus L1 bytes.
    const l0 = [f('a', 'b', MB), f('a', 'b', MB), f('a', 'b', MB), f('a', 'b', MB)];
    expect(estimatePendingCompactionBytes(new Version([l0, [f('a', 'z', 10 * MB)], [], [], []]), o)).toBe(14 * MB);
    // L1 over target by 36 MiB with 100 MiB in L2: 36 * (100 / 100 + 1).
    const v = new Version([[], [f('a', 'z', 100 * MB)], [f('a', 'z', 100 * MB)], [], []]);
    expect(estimatePendingCompactionBytes(v, o)).toBe(72 * MB);
  });
});
