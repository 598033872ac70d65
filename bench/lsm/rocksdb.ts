import { spawnSync } from 'node:child_process';
import type { LsmBenchParams, Workload, WorkloadResult } from './workload.js';

/** db_bench's name for each workload, and the flags beyond the shared ones. */
function flags(workload: Workload, p: LsmBenchParams): string[] {
  switch (workload) {
    case 'fillrandom':
      return ['--benchmarks=fillrandom', `--num=${p.num}`];
    case 'readrandom':
      return ['--benchmarks=readrandom', '--use_existing_db=1', `--num=${p.num}`, `--reads=${p.num}`];
    case 'readwhilewriting':
      return ['--benchmarks=readwhilewriting', '--use_existing_db=1', `--num=${p.num}`, `--reads=${p.readWhileWritingOps}`];
    case 'mixgraph':
      return [
        '--benchmarks=mixgraph',
        '--use_existing_db=1',
        `--num=${p.num}`,
        `--reads=${p.mixOps}`,
        `--mix_get_ratio=${p.mixGetRatio}`,
        `--mix_put_ratio=${p.mixPutRatio}`,
        `--mix_seek_ratio=${p.mixSeekRatio}`,
        `--mix_max_scan_len=${p.mixScanLength}`,
        '--key_dist_a=0.002312',
        '--key_dist_b=0.3467',
        // A Pareto with sigma 0 is the constant theta: fixed-size values like the other systems.
        `--value_theta=${p.valueSize}`,
        '--value_k=0.2615',
        '--value_sigma=0',
      ];
  }
}

/** Each workload draws its own keys (as the Node runs do), so reads find about 63% of keys as in db_bench's defaults. */
const SEED_OFFSET: Record<Workload, number> = { fillrandom: 0, readrandom: 7, readwhilewriting: 11, mixgraph: 17 };

export function dbBenchCommand(workload: Workload, p: LsmBenchParams, dir: string): string[] {
  return [
    ...flags(workload, p),
    `--key_size=${p.keySize}`,
    `--value_size=${p.valueSize}`,
    '--threads=1',
    '--compression_type=none',
    `--db=${dir}`,
    '--histogram=1',
    '--statistics=1',
    `--seed=${p.seed + SEED_OFFSET[workload]}`,
  ];
}

/** Parses db_bench's report: the ops/sec line, the first Percentiles line, and the stall counter. */
export function parseDbBench(workload: Workload, out: string): WorkloadResult {
  const line = new RegExp(`^${workload}\\s*:\\s*([\\d.]+) micros/op (\\d+) ops/sec[^\\n]*`, 'm').exec(out);
  if (line === null) throw new Error(`db_bench printed no ${workload} result:\n${out.slice(-2000)}`);
  const pct = /Percentiles: P50: ([\d.]+) P75: [\d.]+ P99: ([\d.]+)/.exec(out);
  const stall = /rocksdb\.stall\.micros COUNT : (\d+)/.exec(out);
  const ops = /(\d+) operations;/.exec(line[0]);
  const found = /\((\d+) of \d+ found\)/.exec(line[0]);
  const result: WorkloadResult = {
    workload,
    ops: ops ? Number(ops[1]) : 0,
    ops_per_sec: Number(line[2]),
    p50_ms: pct ? Number(pct[1]) / 1000 : 0,
    p99_ms: pct ? Number(pct[2]) / 1000 : 0,
    stall_ms: stall ? Number(stall[1]) / 1000 : 0,
    extra: { report: line[0].trim() },
  };
  if (found) result.found = Number(found[1]);
  return result;
}

/** Makes sure db_bench is there, installing Debian's rocksdb-tools if not. Returns false if it cannot. */
export function ensureDbBench(log: (s: string) => void): boolean {
  if (spawnSync('sh', ['-c', 'command -v db_bench']).status === 0) return true;
  log('db_bench missing: apt-get update && apt-get install -y rocksdb-tools');
  const r = spawnSync('sh', ['-c', 'apt-get update && apt-get install -y rocksdb-tools'], { stdio: 'inherit' });
  return r.status === 0 && spawnSync('sh', ['-c', 'command -v db_bench']).status === 0;
}
