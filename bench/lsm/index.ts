// LSM benchmark in the shape of RocksDB's db_bench: fillrandom, readrandom,
// readwhilewriting and a mixgraph-like mix, for EdgeKV's engine beside RocksDB
// (db_bench from Debian's rocksdb-tools) and LevelDB (classic-level), with the
// same keys, values and counts. Each system runs each workload in its own
// process, on the DB its own fillrandom built. `--quick` runs 100k keys.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dbBenchCommand, ensureDbBench, parseDbBench } from './rocksdb.js';
import { renderSvg } from './plot.js';
import { WORKLOADS, type LsmBenchParams, type Workload, type WorkloadResult } from './workload.js';
import { flag } from '../args.js';

type System = 'edgekv' | 'rocksdb' | 'classic-level';
type Row = WorkloadResult & { system: System; peak_rss_mb: number };

const childUrl = new URL('./child.ts', import.meta.url);
const machine = { nproc: availableParallelism(), node: process.version };

function params(quick: boolean, num?: number): LsmBenchParams {
  const n = num ?? (quick ? 100_000 : 1_000_000);
  return {
    num: n,
    keySize: 16,
    valueSize: 100,
    inflight: 64,
    mixOps: n,
    mixGetRatio: 0.83,
    mixPutRatio: 0.14,
    mixSeekRatio: 0.03,
    mixScanLength: 10,
    readWhileWritingOps: n,
    seed: 301,
  };
}

function runProcess(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
  });
}

/** Peak RSS from GNU time's `%M` (KiB), printed on stderr. */
function peakFromTime(stderr: string): number {
  const m = /PEAKRSS (\d+)/.exec(stderr);
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

async function runSystem(system: System, workload: Workload, p: LsmBenchParams, dir: string): Promise<Row> {
  if (system === 'rocksdb') {
    const r = await runProcess('/usr/bin/time', ['-f', 'PEAKRSS %M', 'db_bench', ...dbBenchCommand(workload, p, dir)]);
    if (r.code !== 0) throw new Error(`db_bench ${workload} failed (${r.code}): ${r.stderr.slice(-1000)}`);
    return { ...parseDbBench(workload, r.stdout), system, peak_rss_mb: peakFromTime(r.stderr) };
  }
  const r = await runProcess('/usr/bin/time', ['-f', 'PEAKRSS %M', process.execPath, '--import', 'tsx', childUrl.pathname, system, workload, JSON.stringify(p), dir]);
  const line = r.stdout.split('\n').find((l) => l.startsWith('CHILD '));
  if (r.code !== 0 || line === undefined) throw new Error(`${system} ${workload} failed (${r.code}): ${r.stderr.slice(-2000)}`);
  const row = JSON.parse(line.slice(6)) as WorkloadResult & { peak_rss_mb: number };
  return { ...row, system, peak_rss_mb: Math.max(row.peak_rss_mb, peakFromTime(r.stderr)) };
}

export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const numArg = flag(args, 'num');
  const only = flag(args, 'systems')?.split(',') as System[] | undefined;
  const p = params(quick, numArg ? Number(numArg) : undefined);
  const root = join(tmpdir(), `edgekv-bench-lsm-${process.pid}`);
  mkdirSync(root, { recursive: true });
  const log = (s: string) => process.stderr.write(`${s}\n`);
  let systems: System[] = only ?? ['rocksdb', 'classic-level', 'edgekv'];
  if (systems.includes('rocksdb') && !ensureDbBench(log)) {
    log('db_bench unavailable; RocksDB rows skipped');
    systems = systems.filter((s) => s !== 'rocksdb');
  }
  log(`lsm bench: ${p.num} keys of ${p.keySize} B, values of ${p.valueSize} B, ${systems.join(', ')}; ${machine.nproc} cores, node ${machine.node}`);
  const rows: Row[] = [];
  try {
    for (const workload of WORKLOADS) {
      for (const system of systems) {
        log(`  ${workload.padEnd(17)} ${system} ...`);
        const row = await runSystem(system, workload, p, join(root, system));
        rows.push(row);
        log(`  ${workload.padEnd(17)} ${system.padEnd(14)} ${String(row.ops_per_sec).padStart(9)} ops/s  p99 ${row.p99_ms.toFixed(3)} ms  stall ${row.stall_ms ?? 0} ms  peak ${row.peak_rss_mb} MB`);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const paramsOut = { num: p.num, key_size: p.keySize, value_size: p.valueSize, inflight_node: p.inflight, quick };
  for (const row of rows) {
    const { system, workload, ...rest } = row;
    const out: Record<string, unknown> = { bench: 'lsm', system, workload, ...rest, params: paramsOut, ...machine };
    if (system === 'edgekv') {
      for (const anchor of ['rocksdb', 'classic-level'] as const) {
        const a = rows.find((r) => r.system === anchor && r.workload === workload);
        if (a !== undefined && a.ops_per_sec > 0) out[`ratio_vs_${anchor.replace('-', '_')}`] = Number((row.ops_per_sec / a.ops_per_sec).toFixed(3));
      }
    }
    console.log(`RESULT ${JSON.stringify(out)}`);
  }
  const resultsDir = new URL('./results/', import.meta.url);
  mkdirSync(resultsDir, { recursive: true });
  const stamp = quick ? 'quick' : 'full';
  writeFileSync(new URL(`lsm-${stamp}.json`, resultsDir), `${JSON.stringify({ machine, params: paramsOut, rows }, null, 2)}\n`);
  writeFileSync(new URL(`lsm-${stamp}.svg`, resultsDir), renderSvg(rows, `LSM ${p.num.toLocaleString('en')} keys: ops/s (higher is better)`));
  log(`wrote bench/lsm/results/lsm-${stamp}.json and .svg`);
}
