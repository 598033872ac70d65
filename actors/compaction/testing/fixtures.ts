import { expect } from 'vitest';
import type { ActorRef } from '../../../runtime/index.js';
import { runCompactionJob, type CompactionJobInput, type CompactionJobOutput } from '../../../storage/compaction-job.js';
import type { FlushJobInput, FlushJobOutput } from '../../../storage/flush-job.js';
import { ValueType } from '../../../storage/internal-key.js';
import { InlineJobRunner, type StorageJobRunner } from '../../../storage/job-runner.js';
import { SSTableBuilder } from '../../../storage/sstable-builder.js';
import type { CompactionReply, CompactionRequest, CompactionStats } from '../messages.js';

/** Shared by the compaction actor's tests: inputs, a gated runner, and asks with their checks. */
export const TEST_TABLE = { blockSizeBytes: 1024, blockRestartInterval: 16, bloomBitsPerKey: 10 };

/** Three overlapping tables (newer sequence numbers shadow older ones, some deletions): several 4 KiB chunks each way. */
export function jobInput(): CompactionJobInput {
  const inputs: Uint8Array[] = [];
  for (let t = 0; t < 3; t++) {
    const b = new SSTableBuilder(TEST_TABLE);
    for (let k = 0; k < 600; k += 1 + t) {
      const key = Buffer.from(`key${String(k).padStart(5, '0')}`);
      if (t === 2 && k % 7 === 0) b.add(key, 10_000 * (t + 1) + k, ValueType.Deletion, Buffer.alloc(0));
      else b.add(key, 10_000 * (t + 1) + k, ValueType.Value, Buffer.from(`v${t}-${k}-${'x'.repeat(40)}`));
    }
    inputs.push(Uint8Array.from(b.finish().bytes));
  }
  return { inputs, targetFileSizeBytes: 8 * 1024, dropTombstones: true, table: TEST_TABLE };
}

/** The two outputs hold the same tables byte for byte, and at least `minTables` of them. */
export function expectSameTables(a: CompactionJobOutput, b: CompactionJobOutput, minTables = 1): void {
  expect(a.tables.length).toBe(b.tables.length);
  expect(a.tables.length).toBeGreaterThanOrEqual(minTables);
  for (const [i, t] of a.tables.entries()) expect(Buffer.from(t.bytes).equals(Buffer.from(b.tables[i]!.bytes)), `table ${i}`).toBe(true);
}

/** A runner whose merges wait for `release()`. */
export class GatedRunner implements StorageJobRunner {
  started = 0;
  private gates: Array<() => void> = [];
  async flush(input: FlushJobInput): Promise<FlushJobOutput> {
    return new InlineJobRunner().flush(input);
  }
  async compact(input: CompactionJobInput): Promise<CompactionJobOutput> {
    this.started++;
    await new Promise<void>((resolve) => this.gates.push(resolve));
    return runCompactionJob(input);
  }
  release(): void {
    for (const g of this.gates.splice(0)) g();
  }
}

export async function stats(ref: ActorRef<CompactionRequest>, timeoutMs = 5000): Promise<CompactionStats> {
  const r = await ref.ask<CompactionReply>({ type: 'stats' }, { timeoutMs });
  if (!r.ok || r.type !== 'stats') throw new Error('no stats');
  return r.stats;
}

export async function compact(ref: ActorRef<CompactionRequest>, input: CompactionJobInput, timeoutMs = 30_000): Promise<Extract<CompactionReply, { type: 'output' }>> {
  const r = await ref.ask<CompactionReply>({ type: 'compact', input }, { timeoutMs });
  if (!r.ok || r.type !== 'output') throw new Error(`compaction failed: ${JSON.stringify(r)}`);
  return r;
}

export async function until(cond: () => Promise<boolean> | boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
