import { describe, expect, it } from 'vitest';
import { WritePacer } from './write-pacer.js';

/** Writes issued by a writer that goes whenever the pacer lets it, over [0, endMs), with a stall in [stallFrom, stallTo). */
function issued(p: WritePacer, endMs: number, stall?: [number, number]): number {
  let n = 0;
  for (let t = 0; t < endMs; ) {
    if (stall && t >= stall[0] && t < stall[1]) {
      t = stall[1];
      continue;
    }
    t += p.next(10, t); // wait as told, then issue the batch
    if (t >= endMs) break;
    n += 10;
    t += 0.01; // writes themselves take almost no time
  }
  return n;
}

describe('WritePacer (db_bench --benchmark_write_rate_limit)', () => {
  it('paces writes at the rate', () => {
    expect(issued(new WritePacer(1000, 0), 2000)).toBeCloseTo(2000, -2);
  });

  it('after a stall, catches up at most one refill period: the stall costs throughput', () => {
    // 1000 ops/s for 2 s with a 500 ms stall: 1500 ops + at most 100 ms (100 ops) caught up.
    const n = issued(new WritePacer(1000, 0), 2000, [500, 1000]);
    expect(n).toBeGreaterThanOrEqual(1500);
    expect(n).toBeLessThanOrEqual(1620);
  });

  it('0 means unthrottled', () => {
    expect(new WritePacer(0, 0).next(100, 0)).toBe(0);
  });
});
