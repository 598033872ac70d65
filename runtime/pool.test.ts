import { afterAll, describe, expect, it } from 'vitest';
import { ValueType } from '../storage/internal-key.js';
import { LsmEngine } from '../storage/engine.js';
import { MemoryFileSystem } from '../storage/fs-memory.js';
import { PoolJobRunner, STORAGE_POOL_TASKS } from '../storage/job-runner.js';
import { SSTableBuilder } from '../storage/sstable-builder.js';
import type { CompactionJobOutput } from '../storage/compaction-job.js';
import type { TaskResult } from '../storage/flush-task.js';
import { PoolService, UnknownTaskError } from './pool.js';

const pool = new PoolService({ tasks: STORAGE_POOL_TASKS, maxThreads: 1 });
afterAll(() => pool.close());

function table(keys: string[], seq: number): Uint8Array {
  const b = new SSTableBuilder();
  for (const k of keys) b.add(Buffer.from(k), seq, ValueType.Value, Buffer.from(`${k}@${seq}`));
  const bytes = b.finish().bytes;
  const own = new Uint8Array(bytes.length);
  own.set(bytes);
  return own;
}

describe('PoolService', () => {
  it('runs a TypeScript task on a worker, moving input and output buffers', async () => {
    const a = table(['a', 'b'], 1);
    const b = table(['b', 'c'], 2);
    const input = { inputs: [a, b], targetFileSizeBytes: 1 << 20, dropTombstones: false, table: { blockSizeBytes: 4096, blockRestartInterval: 16, bloomBitsPerKey: 10 } };
    const out = await pool.run<typeof input, TaskResult<CompactionJobOutput>>('lsm-compaction', input, [a.buffer as ArrayBuffer, b.buffer as ArrayBuffer]);
    // Transferred inputs are detached on this side.
    expect(a.byteLength).toBe(0);
    expect(out.ok).toBe(true);
    if (out.ok) {
      expect(out.value.stats).toMatchObject({ inputEntries: 4, outputEntries: 3, droppedShadowed: 1 });
      expect(out.value.tables[0]!.bytes).toBeInstanceOf(Uint8Array);
    }
    expect(pool.stats().completed).toBeGreaterThanOrEqual(1);
  });

  it('turns a corrupt input into a typed error value', async () => {
    const a = table(['a'], 1);
    a[3]! ^= 1;
    const out = await pool.run<unknown, TaskResult<CompactionJobOutput>>('lsm-compaction', {
      inputs: [a],
      targetFileSizeBytes: 1 << 20,
      dropTombstones: false,
      table: { blockSizeBytes: 4096, blockRestartInterval: 16, bloomBitsPerKey: 10 },
    });
    expect(out).toMatchObject({ ok: false, code: 'CORRUPTION' });
  });

  it('rejects unknown task names', async () => {
    await expect(pool.run('nope', {})).rejects.toBeInstanceOf(UnknownTaskError);
  });

  it('serves an engine whose flushes and merges run on the pool', async () => {
    const e = await LsmEngine.open({
      fs: new MemoryFileSystem(),
      dir: '/db',
      jobs: new PoolJobRunner(pool),
      writeBufferSizeBytes: 4096,
      level0FileNumCompactionTrigger: 2,
      maxBytesForLevelBaseBytes: 16384,
      targetFileSizeBaseBytes: 4096,
    });
    for (let i = 0; i < 1000; i++) await e.put('local', Buffer.from(`k${i % 300}`), Buffer.from(`v${i}`));
    await e.waitForIdle();
    expect(e.stats().compactions).toBeGreaterThan(0);
    for (let i = 700; i < 1000; i++) expect(e.get('local', Buffer.from(`k${i % 300}`))?.toString()).toBe(`v${i}`);
    await e.close();
  });
});

describe('PoolService.warmUp', () => {
  it('runs the task once per thread so its module is loaded before real work', async () => {
    const p = new PoolService({ tasks: STORAGE_POOL_TASKS, maxThreads: 2 });
    await p.warmUp('lsm-compaction', { inputs: [], targetFileSizeBytes: 1 << 20, dropTombstones: false, table: { blockSizeBytes: 4096, blockRestartInterval: 16, bloomBitsPerKey: 10 } });
    expect(p.stats().completed).toBe(2);
    await p.close();
  });
});
