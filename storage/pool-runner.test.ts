import { afterEach, describe, expect, it } from 'vitest';
import { runCompactionJob, type CompactionJobInput } from './compaction-job.js';
import { ValueType } from './internal-key.js';
import { acquireStoragePool, type StoragePoolLease } from './pool-runner.js';
import { SSTableBuilder } from './sstable-builder.js';

const leases: StoragePoolLease[] = [];
afterEach(async () => {
  for (const l of leases.splice(0)) await l.release();
});

const table = { blockSizeBytes: 1024, blockRestartInterval: 16, bloomBitsPerKey: 10 };

function input(): CompactionJobInput {
  const inputs = [0, 1].map((t) => {
    const b = new SSTableBuilder(table);
    for (let k = 0; k < 300; k++) b.add(Buffer.from(`k${String(k).padStart(4, '0')}`), 1000 * (t + 1) + k, ValueType.Value, Buffer.from(`v${t}-${k}`));
    return Uint8Array.from(b.finish().bytes);
  });
  return { inputs, targetFileSizeBytes: 4096, dropTombstones: true, table };
}

describe('shared storage pool', () => {
  it('every lease in a process shares one runner; merges on it equal inline merges; the pools close with the last lease', async () => {
    const a = acquireStoragePool({ mergeThreads: 1 });
    const b = acquireStoragePool();
    leases.push(a, b);
    expect(b.runner).toBe(a.runner);
    const out = await a.runner.compact(input());
    const expected = runCompactionJob(input());
    expect(out.tables.map((t) => Buffer.from(t.bytes).toString('hex'))).toEqual(expected.tables.map((t) => Buffer.from(t.bytes).toString('hex')));
    await a.release();
    await a.release(); // twice is harmless
    expect((await b.runner.compact(input())).tables.length).toBe(expected.tables.length); // still open for b
    await b.release();
    const c = acquireStoragePool({ mergeThreads: 1 });
    leases.push(c);
    expect(c.runner).not.toBe(a.runner); // a fresh pair after the last release
    expect((await c.runner.compact(input())).tables.length).toBe(expected.tables.length);
  }, 30_000);
});
