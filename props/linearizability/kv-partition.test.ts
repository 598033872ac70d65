import { describe, expect, it } from 'vitest';
import { partitionByKey, type KvFootprint } from './kv-partition.js';

const point = (key: string): KvFootprint => ({ kind: 'point', key });
const range = (start: string, end: string): KvFootprint => ({ kind: 'range', start, end });

function groups(fps: KvFootprint[]): string[][] {
  return partitionByKey(fps)
    .map((p) => p.indexes.map((i) => JSON.stringify(fps[i])).sort())
    .sort((a, b) => a[0]!.localeCompare(b[0]!));
}

describe('partitionByKey', () => {
  it('puts each key in its own partition, labelled with the key', () => {
    const parts = partitionByKey([point('x'), point('y'), point('x')]);
    expect(parts.map((p) => [p.key, p.indexes])).toEqual(
      expect.arrayContaining([
        ['x', [0, 2]],
        ['y', [1]],
      ]),
    );
    expect(parts).toHaveLength(2);
  });

  it('joins every key a range covers, and nothing else', () => {
    const fps = [point('a'), point('b'), point('c'), point('d'), range('b', 'd')];
    const parts = partitionByKey(fps);
    expect(parts).toHaveLength(3);
    const joined = parts.find((p) => p.indexes.includes(4))!;
    expect(joined.indexes.slice().sort((a, b) => a - b)).toEqual([1, 2, 4]);
    expect(joined.key).toBe('{"b", "c"} (joined by range operations)');
  });

  it('chains overlapping ranges into one partition', () => {
    const fps = [point('a'), point('b'), point('c'), point('d'), point('e'), range('a', 'c'), range('b', 'e'), point('z')];
    // [a, c) and [b, e) overlap at b: a..d join; e is outside both (half-open), z too.
    expect(groups(fps)).toHaveLength(3);
    const parts = partitionByKey(fps);
    expect(parts.find((p) => p.indexes.includes(5))!.indexes.slice().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 5, 6]);
    expect(parts.find((p) => p.indexes.includes(4))!.key).toBe('e');
  });

  it('gives a range that covers no written key its own partition', () => {
    const parts = partitionByKey([point('a'), range('m', 'n'), range('q', 'p')]);
    expect(parts).toHaveLength(3);
    expect(parts.map((p) => p.key)).toContain('range ["m", "n") (no keys written)');
  });

  it('covers every operation exactly once, even with many overlapping ranges', () => {
    const fps: KvFootprint[] = [];
    for (let i = 0; i < 300; i++) fps.push(point(`k${String(i).padStart(3, '0')}`));
    for (let i = 0; i < 300; i += 7) fps.push(range(`k${String(i).padStart(3, '0')}`, `k${String(i + 20).padStart(3, '0')}`));
    const seen = partitionByKey(fps).flatMap((p) => p.indexes);
    expect(seen.sort((a, b) => a - b)).toEqual(fps.map((_, i) => i));
  });
});
