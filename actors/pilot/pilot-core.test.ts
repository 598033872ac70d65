import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../runtime/random.js';
import { EdgeCode } from './edgecode.js';
import { OnlineRegression } from './linear-regression.js';
import { ResourceQueue } from './priority-queue.js';
import { compareServerStatus, type ServerStatus } from './server-status.js';

const status = (node: string, availableCores: number, availableBandwidthMBps: number, compactionPerf: number): ServerStatus => ({
  node,
  availableCores,
  availableBandwidthMBps,
  compactionPerf,
});

describe('Algorithm 2 ordering', () => {
  it('puts nodes with at most one free core last, whatever their speed', () => {
    const busyFast = status('busy-fast', 1, 1000, 999);
    const idleSlow = status('idle-slow', 4, 100, 1);
    expect(compareServerStatus(idleSlow, busyFast)).toBeLessThan(0);
    expect(compareServerStatus(busyFast, idleSlow)).toBeGreaterThan(0);
  });

  it('then nodes without spare bandwidth, then the faster merger, then more free cores', () => {
    const q = new ResourceQueue();
    q.update(status('no-net', 8, 0, 100));
    q.update(status('slow', 4, 50, 10));
    q.update(status('fast-2cores', 2, 50, 30));
    q.update(status('fast-6cores', 6, 50, 30));
    q.update(status('one-core', 1, 50, 500));
    expect(q.ordered().map((s) => s.node)).toEqual(['fast-6cores', 'fast-2cores', 'slow', 'no-net', 'one-core']);
  });

  it('best() skips the requester and nodes that cannot take an offload, and follows updates', () => {
    const q = new ResourceQueue();
    q.update(status('high', 6, 100, 50));
    q.update(status('medium', 4, 100, 30));
    q.update(status('low', 2, 100, 10));
    expect(q.best('medium')?.node).toBe('high');
    expect(q.best('high')?.node).toBe('medium');
    q.update(status('high', 1, 100, 50)); // co-located load took its cores but one
    expect(q.best('low')?.node).toBe('medium');
    q.update(status('medium', 0, 100, 30));
    // One free core is the last resort (it sorts behind more free cores), none is no candidate.
    expect(q.best('low')?.node).toBe('high');
    q.update(status('high', 0.5, 100, 50));
    expect(q.best('low')).toBeUndefined();
  });
});

describe('OnlineRegression', () => {
  it('recovers a known line from noisy samples', () => {
    const r = new OnlineRegression({ intercept: 0, slope: 0 }, 1, 5);
    const rnd = new SeededRandom(42);
    for (let i = 0; i < 500; i++) {
      const x = rnd.next() * 10_000_000;
      r.add(x, 3 + 2e-5 * x + (rnd.next() - 0.5));
    }
    const line = r.line();
    expect(line.slope).toBeCloseTo(2e-5, 6);
    expect(line.intercept).toBeCloseTo(3, 0);
  });

  it('answers with its prior until it has enough samples', () => {
    const r = new OnlineRegression({ intercept: 7, slope: 1 }, 1, 5);
    r.add(10, 100);
    r.add(20, 200);
    expect(r.line()).toEqual({ intercept: 7, slope: 1 });
    expect(r.predict(10)).toBe(17);
  });

  it('never fits a line that calls small jobs free (negative intercept or slope)', () => {
    const r = new OnlineRegression({ intercept: 1, slope: 1e-3 }, 1, 5);
    // Samples from a narrow range with a steep local trend: an unconstrained fit crosses zero near x = 900.
    for (const [x, y] of [[1000, 10], [1100, 20], [1200, 30], [1000, 10], [1100, 20], [1200, 30], [1000, 10], [1100, 20], [1200, 30], [1100, 20]] as const) r.add(x, y);
    const line = r.line();
    expect(line.intercept).toBeGreaterThanOrEqual(0);
    expect(line.slope).toBeGreaterThan(0);
    expect(r.predict(100)).toBeGreaterThan(0);
  });

  it('forgets: follows a node that became slower', () => {
    const r = new OnlineRegression({ intercept: 0, slope: 1 }, 0.9, 5);
    for (let i = 1; i <= 100; i++) r.add(i * 1000, i * 1000); // 1 ms/byte-unit
    for (let i = 1; i <= 100; i++) r.add(i * 1000, i * 3000); // now 3×
    expect(r.line().slope).toBeCloseTo(3, 1);
  });
});

describe('EDGECODE', () => {
  it('takes an emulated absolute merge speed as its compute prior before any sample', () => {
    const host = new EdgeCode();
    host.setSpeedFactor('slow', 0.3);
    const emulated = new EdgeCode();
    emulated.setSpeedFactor('slow', 0.3, 30); // 30 bytes/ms: 0.03 MB/s per core
    const bytes = 10_000_000;
    expect(emulated.predictComputeMs('slow', bytes)).toBeGreaterThanOrEqual(bytes / 30);
    expect(emulated.predictComputeMs('slow', bytes)).toBeGreaterThan(10 * host.predictComputeMs('slow', bytes));
  });

  const MB = 1_000_000;
  function trained(): EdgeCode {
    const code = new EdgeCode();
    // Known data: high merges at 80 MB/s, low at 20 MB/s; local I/O 500 MB/s, network 100 MB/s + 2 ms.
    // Three rounds: past 2 × minSamples the fit alone answers (no blend with the prior).
    for (const size of [1, 2, 4, 8, 16, 32, 1, 2, 4, 8, 16, 32, 1, 2, 4, 8, 16, 32].map((m) => m * MB)) {
      code.observe({ owner: 'high', ranOn: 'high', inputBytes: size, computeMs: size / 80_000, transferMs: size / 500_000 });
      code.observe({ owner: 'low', ranOn: 'low', inputBytes: size, computeMs: size / 20_000, transferMs: size / 500_000 });
      code.observe({ owner: 'low', ranOn: 'high', inputBytes: size, computeMs: size / 80_000, transferMs: 2 + size / 100_000 });
    }
    return code;
  }

  it('fits the per-node compute lines from known data', () => {
    const code = trained();
    expect(code.computeModel('high').slope).toBeCloseTo(1 / 80_000, 9);
    expect(code.computeModel('low').slope).toBeCloseTo(1 / 20_000, 9);
  });

  it('offloads from a slow node to a fast idle one (Diff > 0), never the other way', () => {
    const code = trained();
    const toHigh = code.decide('low', status('high', 6, 100, 80), 16 * MB);
    // Diff_comp = 800 − 200 = 600 ms; Diff_trans = (2 + 160) − 32 = 130 ms.
    expect(toHigh.diffMs).toBeCloseTo(470, 0);
    expect(toHigh.offload).toBe(true);
    expect(code.decide('high', status('low', 4, 100, 20), 16 * MB).offload).toBe(false);
  });

  it('the decision flips as the target gets loaded', () => {
    const code = trained();
    expect(code.decide('low', status('high', 6, 100, 80), 16 * MB).offload).toBe(true);
    expect(code.decide('low', status('high', 0.2, 100, 80), 16 * MB).offload).toBe(false);
    // And as its measured speed drops (co-located load slows its merges), the model follows.
    for (let i = 0; i < 200; i++) {
      const size = (1 + (i % 32)) * MB;
      code.observe({ owner: 'medium', ranOn: 'high', inputBytes: size, computeMs: size / 15_000, transferMs: 2 + size / 100_000 });
    }
    expect(code.decide('low', status('high', 6, 100, 15), 16 * MB).offload).toBe(false);
  });

  it('an offload that timed out teaches the model: a few of them flip the decision', () => {
    const code = trained();
    expect(code.decide('low', status('high', 6, 100, 80), 16 * MB).offload).toBe(true);
    const before = code.predictComputeMs('high', 16 * MB);
    // The compaction actor reports an abandoned remote merge as taking (at least) the time it waited.
    for (let i = 0; i < 5; i++) code.observe({ owner: 'low', ranOn: 'high', inputBytes: 16 * MB, computeMs: 3000, transferMs: 0 });
    expect(code.predictComputeMs('high', 16 * MB)).toBeGreaterThan(3 * before);
    expect(code.decide('low', status('high', 6, 100, 80), 16 * MB).offload).toBe(false);
  });

  it('uses a tier-scaled prior before any sample exists', () => {
    const code = new EdgeCode();
    code.setSpeedFactor('fast', 4);
    code.setSpeedFactor('slow', 0.5);
    expect(code.decide('slow', status('fast', 4, 100, 0), 64 * MB).offload).toBe(true);
    expect(code.decide('fast', status('slow', 4, 100, 0), 64 * MB).offload).toBe(false);
  });
});
