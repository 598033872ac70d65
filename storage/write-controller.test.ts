import { describe, expect, it } from 'vitest';
import { ManualClock } from './testing/manual-clock.js';
import { computeWriteStall, WriteController, type StallOptions } from './write-controller.js';

const GB = 1024 ** 3;
const o: StallOptions = {
  maxWriteBufferNumber: 2,
  level0SlowdownWritesTrigger: 20,
  level0StopWritesTrigger: 36,
  softPendingCompactionBytesLimit: 16 * GB,
  hardPendingCompactionBytesLimit: 64 * GB,
};
const s = (unflushedMemtables: number, l0Files: number, pendingCompactionBytes: number) => ({ unflushedMemtables, l0Files, pendingCompactionBytes });

describe('computeWriteStall (RocksDB rules)', () => {
  it.each([
    [s(0, 0, 0), 'normal', null],
    [s(2, 0, 0), 'stopped', 'memtable-limit'],
    [s(1, 36, 0), 'stopped', 'l0-file-count'],
    [s(1, 35, 64 * GB), 'stopped', 'pending-compaction-bytes'],
    [s(1, 20, 0), 'delayed', 'l0-file-count'],
    [s(1, 19, 16 * GB), 'delayed', 'pending-compaction-bytes'],
    [s(1, 19, 16 * GB - 1), 'normal', null],
    // Stops win over delays, and memtables are checked first.
    [s(2, 40, 100 * GB), 'stopped', 'memtable-limit'],
  ] as const)('%o -> %s %s', (inputs, condition, cause) => {
    expect(computeWriteStall(inputs, o)).toEqual({ condition, cause });
  });

  it('delays on memtables only when more than three write buffers are allowed', () => {
    expect(computeWriteStall(s(4, 0, 0), { ...o, maxWriteBufferNumber: 5 })).toEqual({ condition: 'delayed', cause: 'memtable-limit' });
    expect(computeWriteStall(s(1, 0, 0), { ...o, maxWriteBufferNumber: 2 }).condition).toBe('normal');
  });

  it('ignores L0 and pending bytes when auto compactions are off', () => {
    expect(computeWriteStall(s(0, 50, 100 * GB), { ...o, disableAutoCompactions: true }).condition).toBe('normal');
  });
});

describe('WriteController', () => {
  const rate = {
    delayedWriteRateBytesPerSec: 1000,
    minDelayedWriteRateBytesPerSec: 10,
    slowdownRateDecreaseRatio: 0.8,
    delayRefillIntervalMs: 1,
  };

  it('paces delayed writes at the delayed write rate', () => {
    const clock = new ManualClock();
    const c = new WriteController(clock, { ...o, ...rate });
    c.update(s(0, 20, 0));
    expect(c.current.condition).toBe('delayed');
    expect(c.delayFor(100)).toBeCloseTo(100);
    expect(c.delayFor(100)).toBeCloseTo(200);
    clock.advance(200);
    expect(c.delayFor(100)).toBeCloseTo(100);
  });

  it('slows down while compaction debt grows and speeds up while it shrinks', () => {
    const c = new WriteController(new ManualClock(), { ...o, ...rate });
    c.update(s(0, 0, 16 * GB));
    expect(c.delayedWriteRate).toBe(1000);
    c.update(s(0, 0, 17 * GB));
    expect(c.delayedWriteRate).toBeCloseTo(800);
    c.update(s(0, 0, 16.5 * GB));
    expect(c.delayedWriteRate).toBeCloseTo(1000);
  });

  it('measures stall time per condition and cause', () => {
    const clock = new ManualClock();
    const c = new WriteController(clock, { ...o, ...rate });
    c.update(s(2, 0, 0));
    c.beginStall('stopped', 'memtable-limit');
    clock.advance(30);
    c.endStall();
    c.update(s(0, 20, 0));
    c.beginStall('delayed', 'l0-file-count');
    clock.advance(12);
    expect(c.snapshot().totalMs).toBe(42);
    c.endStall();
    const st = c.snapshot();
    expect(st).toMatchObject({ totalMs: 42, stoppedMs: 30, delayedMs: 12, stoppedCount: 1, delayedCount: 1 });
    expect(st.byCauseMs).toEqual({ 'memtable-limit': 30, 'l0-file-count': 12, 'pending-compaction-bytes': 0 });
  });
});
