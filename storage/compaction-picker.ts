import type { FileMeta, Version } from './version.js';

export interface LevelOptions {
  numLevels: number;
  level0FileNumCompactionTrigger: number;
  maxBytesForLevelBaseBytes: number;
  maxBytesForLevelMultiplier: number;
  targetFileSizeBaseBytes: number;
  targetFileSizeMultiplier: number;
  maxCompactionBytesFactor: number;
}

export interface PickedCompaction {
  level: number;
  outputLevel: number;
  /** Files of `level` (for L0: all of them, newest first). */
  inputs: FileMeta[];
  /** Files of `outputLevel` that overlap the inputs. */
  outputInputs: FileMeta[];
  /** One file with nothing under it: re-filed to the next level without rewriting. */
  trivialMove: boolean;
  /** No deeper level holds data in this key range, so tombstones can go. */
  dropTombstones: boolean;
  score: number;
  targetFileSizeBytes: number;
}

/** RocksDB MaxBytesForLevel without dynamic level bytes: base x multiplier^(level-1). */
export function levelTargetBytes(level: number, o: LevelOptions): number {
  return o.maxBytesForLevelBaseBytes * o.maxBytesForLevelMultiplier ** Math.max(0, level - 1);
}

export function targetFileSizeBytes(level: number, o: LevelOptions): number {
  return o.targetFileSizeBaseBytes * o.targetFileSizeMultiplier ** Math.max(0, level - 1);
}

function keyRange(files: readonly FileMeta[]): [Buffer, Buffer] {
  let lo = files[0]!.smallest;
  let hi = files[0]!.largest;
  for (const f of files) {
    if (Buffer.compare(f.smallest, lo) < 0) lo = f.smallest;
    if (Buffer.compare(f.largest, hi) > 0) hi = f.largest;
  }
  return [lo, hi];
}

/**
 * Compaction scores per level as RocksDB computes them: L0 by file count over
 * the trigger (or bytes over the base, whichever is larger), other levels by
 * bytes not already being compacted over their target.
 */
export function levelScores(v: Version, busy: ReadonlySet<number>, o: LevelOptions): { level: number; score: number }[] {
  const out: { level: number; score: number }[] = [];
  const l0 = v.levels[0]!.filter((f) => !busy.has(f.number));
  let l0Bytes = 0;
  for (const f of l0) l0Bytes += f.sizeBytes;
  out.push({ level: 0, score: Math.max(l0.length / o.level0FileNumCompactionTrigger, l0Bytes / o.maxBytesForLevelBaseBytes) });
  for (let level = 1; level < o.numLevels - 1; level++) {
    let bytes = 0;
    for (const f of v.levels[level]!) if (!busy.has(f.number)) bytes += f.sizeBytes;
    out.push({ level, score: bytes / levelTargetBytes(level, o) });
  }
  return out.sort((a, b) => b.score - a.score);
}

function deeperOverlap(v: Version, outputLevel: number, lo: Buffer, hi: Buffer): boolean {
  for (let l = outputLevel + 1; l < v.numLevels; l++) if (v.overlapping(l, lo, hi).length > 0) return true;
  return false;
}

function build(v: Version, level: number, inputs: FileMeta[], outputInputs: FileMeta[], score: number, o: LevelOptions): PickedCompaction {
  const outputLevel = level + 1;
  const [lo, hi] = keyRange([...inputs, ...outputInputs]);
  return {
    level,
    outputLevel,
    inputs,
    outputInputs,
    trivialMove: level > 0 && inputs.length === 1 && outputInputs.length === 0,
    dropTombstones: !deeperOverlap(v, outputLevel, lo, hi),
    score,
    targetFileSizeBytes: targetFileSizeBytes(outputLevel, o),
  };
}

/**
 * Picks the most urgent compaction that touches no busy file, or null.
 * Within a level it takes the file with the least overlap in the next level
 * relative to its size (RocksDB's kMinOverlappingRatio), to cut write amplification.
 */
export function pickCompaction(v: Version, busy: ReadonlySet<number>, o: LevelOptions): PickedCompaction | null {
  for (const { level, score } of levelScores(v, busy, o)) {
    if (score < 1) break;
    if (level === 0) {
      const l0 = v.levels[0]!;
      // One L0 compaction at a time: L0 files overlap, so they must move together.
      if (l0.length === 0 || l0.some((f) => busy.has(f.number))) continue;
      const [lo, hi] = keyRange(l0);
      const next = v.overlapping(1, lo, hi);
      if (next.some((f) => busy.has(f.number))) continue;
      return build(v, 0, [...l0], next, score, o);
    }
    const maxBytes = o.maxCompactionBytesFactor * targetFileSizeBytes(level + 1, o);
    let best: { file: FileMeta; next: FileMeta[]; ratio: number } | null = null;
    for (const f of v.levels[level]!) {
      if (busy.has(f.number)) continue;
      const next = v.overlapping(level + 1, f.smallest, f.largest);
      if (next.some((n) => busy.has(n.number))) continue;
      let overlapBytes = 0;
      for (const n of next) overlapBytes += n.sizeBytes;
      if (overlapBytes + f.sizeBytes > maxBytes && next.length > 1) continue;
      const ratio = overlapBytes / Math.max(1, f.sizeBytes);
      if (best === null || ratio < best.ratio) best = { file: f, next, ratio };
    }
    if (best !== null) return build(v, level, [best.file], best.next, score, o);
  }
  return null;
}

/**
 * RocksDB's EstimateCompactionBytesNeeded: bytes that compactions must still
 * rewrite to bring every level under its target. Drives the pending-bytes stalls.
 */
export function estimatePendingCompactionBytes(v: Version, o: LevelOptions): number {
  let l0Bytes = 0;
  for (const f of v.levels[0]!) l0Bytes += f.sizeBytes;
  let estimated = 0;
  let toNext = 0;
  let l0Triggered = false;
  if (v.levels[0]!.length >= o.level0FileNumCompactionTrigger || l0Bytes >= o.maxBytesForLevelBaseBytes) {
    l0Triggered = true;
    estimated = l0Bytes;
    toNext = l0Bytes;
  }
  let nextLevelBytes = 0;
  for (let level = 1; level < o.numLevels - 1; level++) {
    let levelSize = nextLevelBytes > 0 ? nextLevelBytes : v.levelBytes(level);
    if (level === 1 && l0Triggered) estimated += levelSize;
    levelSize += toNext;
    toNext = 0;
    const target = levelTargetBytes(level, o);
    nextLevelBytes = 0;
    if (levelSize > target) {
      toNext = levelSize - target;
      nextLevelBytes = v.levelBytes(level + 1);
      if (nextLevelBytes > 0) estimated += Math.floor(toNext * (nextLevelBytes / levelSize + 1));
    }
  }
  return estimated;
}
