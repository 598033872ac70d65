import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runClassic } from './classic.js';
import { runEdgekv } from './edgekv.js';
import { dbBenchCommand, parseDbBench } from './rocksdb.js';
import { WORKLOADS, type LsmBenchParams } from './workload.js';

const tiny: LsmBenchParams = {
  num: 3000,
  keySize: 16,
  valueSize: 100,
  inflight: 64,
  mixOps: 2000,
  mixGetRatio: 0.83,
  mixPutRatio: 0.14,
  mixSeekRatio: 0.03,
  mixScanLength: 10,
  readWhileWritingOps: 2000,
  seed: 301,
};

describe('lsm benchmark (smoke)', () => {
  it('runs every workload on edgekv and classic-level', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lsm-bench-smoke-'));
    try {
      for (const [name, run] of [['edgekv', runEdgekv], ['classic-level', runClassic]] as const) {
        for (const w of WORKLOADS) {
          const r = await run(w, tiny, join(root, name));
          expect(r.workload).toBe(w);
          expect(r.ops_per_sec).toBeGreaterThan(0);
          if (w === 'readrandom') expect(r.found).toBeGreaterThan(tiny.num / 3);
        }
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("parses db_bench's report", () => {
    const out = [
      'fillrandom   :       4.638 micros/op 215608 ops/sec 4.638 seconds 1000000 operations;   23.9 MB/s',
      'Microseconds per write:',
      'Percentiles: P50: 3.15 P75: 4.10 P99: 12.50 P99.9: 817.27 P99.99: 7260.00',
      'rocksdb.stall.micros COUNT : 1500',
    ].join('\n');
    expect(parseDbBench('fillrandom', out)).toMatchObject({ ops_per_sec: 215608, ops: 1000000, p50_ms: 0.00315, p99_ms: 0.0125, stall_ms: 1.5 });
    expect(dbBenchCommand('readrandom', tiny, '/tmp/x')).toContain('--use_existing_db=1');
  });
});
