import { describe, expect, it } from 'vitest';
import type { CompactionJobInput, CompactionJobOutput } from '../../storage/compaction-job.js';
import { InlineJobRunner, type StorageJobRunner } from '../../storage/job-runner.js';
import { ManualClock } from '../../storage/testing/manual-clock.js';
import { EmulatedTier } from './emulated-tier.js';

/** A merge that returns at once: the emulated time is then all the clock shows. */
const instant: StorageJobRunner = {
  flush: (i) => new InlineJobRunner().flush(i),
  compact: async (): Promise<CompactionJobOutput> => ({
    tables: [],
    stats: { inputEntries: 0, outputEntries: 0, droppedShadowed: 0, droppedTombstones: 0, inputBytes: 0, outputBytes: 0 },
  }),
};
const job = (bytes: number): CompactionJobInput => ({ inputs: [new Uint8Array(bytes)], targetFileSizeBytes: 1, dropTombstones: false, table: { blockSizeBytes: 4096, blockRestartInterval: 16, bloomBitsPerKey: 10 } });

async function drain(clock: ManualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t++) {
    await new Promise((r) => setImmediate(r));
    clock.advance(1);
  }
  await new Promise((r) => setImmediate(r));
}

describe('EmulatedTier', () => {
  it('reports free cores net of the write path, co-located load and running merges', () => {
    const cpu = new EmulatedTier(instant, { name: 'low', cores: 4, speedFactor: 0.3 }, new ManualClock());
    expect(cpu.status()).toMatchObject({ cores: 4, availableCores: 3, loadPercent: 25 });
    cpu.setLoadThreads(2);
    expect(cpu.status()).toMatchObject({ availableCores: 1, loadThreads: 2, loadPercent: 75 });
    cpu.setLoadThreads(8);
    expect(cpu.status()).toMatchObject({ availableCores: -5, loadPercent: 100 });
  });

  it('a merge takes bytes / (reference × speed), stretched by contention when load takes the cores', async () => {
    const clock = new ManualClock();
    const cpu = new EmulatedTier(instant, { name: 't', cores: 4, speedFactor: 0.5 }, clock, undefined, 1000);
    const done: number[] = [];
    void cpu.compactTimed(job(100_000)).then((r) => done.push(r.computeMs));
    await drain(clock, 250);
    expect(done).toEqual([200]); // 100 kB at 1000 B/ms × 0.5
    cpu.setLoadThreads(4); // 4 load threads + this merge on 4 cores: 5/4 contention
    void cpu.compactTimed(job(100_000)).then((r) => done.push(r.computeMs));
    await drain(clock, 300);
    expect(done).toEqual([200, 250]);
  });

  it('runs at most `cores` merges at once; the rest queue and report their wait', async () => {
    const clock = new ManualClock();
    const cpu = new EmulatedTier(instant, { name: 't', cores: 1, speedFactor: 1 }, clock, undefined, 1000);
    const results: { computeMs: number; waitMs: number }[] = [];
    for (let i = 0; i < 2; i++) void cpu.compactTimed(job(50_000)).then((r) => results.push(r));
    await new Promise((r) => setImmediate(r));
    expect(cpu.status()).toMatchObject({ runningMerges: 1, queuedMerges: 1 });
    await drain(clock, 120);
    expect(results.map((r) => r.computeMs)).toEqual([50, 50]);
    expect(results[1]!.waitMs).toBeGreaterThanOrEqual(50);
  });
});
