// `npm run bench -- ycsb [--quick] [options]`: YCSB core workloads A–F against
// an EdgeKV cluster. Without --endpoints it starts its own cluster (the CLI's
// Cluster API, in a temporary data directory) and stops it afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Cluster, type HostMode } from '../../cli/cluster/cluster.js';
import { findFreePortRange } from '../../cli/cluster/ports.js';
import { groupEndpoints, YcsbRunner, type WorkloadResult, type YcsbParams } from './runner.js';
import { coreWorkloads } from './workloads.js';

export interface YcsbOptions extends YcsbParams {
  /** An existing cluster; none: start one. */
  endpoints?: string[];
  groups: number;
  nodesPerGroup: number;
  mode: HostMode;
  /** Stand-in nodes for the smoke test; default the real ones. */
  bootModule?: string;
  keepData: boolean;
}

/** The paper's setting (3 groups × 3, 10,000 records, half local), with fewer client loops than its 100 threads on a 2-core machine. */
export const fullDefaults = {
  workloads: ['A', 'B', 'C', 'D', 'E', 'F'],
  records: 10_000,
  operations: 10_000,
  clients: 32,
  fieldCount: 10,
  fieldLengthBytes: 100,
  globalShare: 0.5,
  seed: 1,
  timeoutMs: 10_000,
  groups: 3,
  nodesPerGroup: 3,
  mode: 'processes' as HostMode,
  keepData: false,
};

/** Seconds, not minutes: a small cluster in threads, a few hundred records and operations. */
export const quickDefaults = { ...fullDefaults, records: 200, operations: 300, clients: 8, groups: 2, mode: 'threads' as HostMode };

const usage = `usage: npm run bench -- ycsb [--quick] [--workloads A,B,C,D,E,F] [--records N] [--operations N] [--clients N]
  [--fields N] [--field-length BYTES] [--global-share 0..1] [--seed N]
  [--endpoints host:port,...]   use a running cluster (default: start one)
  [--groups N] [--nodes-per-group N] [--mode threads|processes] [--keep-data]`;

export function parseYcsbArgs(args: string[]): YcsbOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      quick: { type: 'boolean' },
      workloads: { type: 'string' },
      records: { type: 'string' },
      operations: { type: 'string' },
      clients: { type: 'string' },
      fields: { type: 'string' },
      'field-length': { type: 'string' },
      'global-share': { type: 'string' },
      seed: { type: 'string' },
      endpoints: { type: 'string' },
      groups: { type: 'string' },
      'nodes-per-group': { type: 'string' },
      mode: { type: 'string' },
      'keep-data': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const base = values.quick === true ? quickDefaults : fullDefaults;
  const whole = (name: string, raw: string | undefined, fallback: number, min = 1): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} needs a whole number >= ${min}, got ${raw}\n${usage}`);
    return n;
  };
  const share = values['global-share'] === undefined ? base.globalShare : Number(values['global-share']);
  if (!(share >= 0 && share <= 1)) throw new Error(`--global-share must be between 0 and 1, got ${values['global-share']}`);
  const workloads = values.workloads?.split(',').map((w) => w.trim().toUpperCase()) ?? base.workloads;
  for (const w of workloads) if (coreWorkloads[w] === undefined) throw new Error(`unknown workload ${w}; use A..F`);
  const mode = values.mode ?? base.mode;
  if (mode !== 'threads' && mode !== 'processes') throw new Error(`--mode must be threads or processes, got ${mode}`);
  return {
    workloads,
    records: whole('records', values.records, base.records),
    operations: whole('operations', values.operations, base.operations),
    clients: whole('clients', values.clients, base.clients),
    fieldCount: whole('fields', values.fields, base.fieldCount),
    fieldLengthBytes: whole('field-length', values['field-length'], base.fieldLengthBytes),
    globalShare: share,
    seed: whole('seed', values.seed, base.seed, 0),
    timeoutMs: base.timeoutMs,
    endpoints: values.endpoints?.split(',').filter((e) => e !== ''),
    groups: whole('groups', values.groups, base.groups),
    nodesPerGroup: whole('nodes-per-group', values['nodes-per-group'], base.nodesPerGroup),
    mode,
    keepData: values['keep-data'] === true,
  };
}

function resultLines(result: WorkloadResult, options: YcsbOptions, setting: Record<string, unknown>): string[] {
  const params = {
    records: options.records,
    operations: options.operations,
    clients: options.clients,
    fields: options.fieldCount,
    field_length: options.fieldLengthBytes,
    global_share: options.globalShare,
    distribution: coreWorkloads[result.workload]!.distribution,
    seed: options.seed,
    ...setting,
  };
  const machine = { nproc: availableParallelism(), node: process.version };
  return [...result.byOp, result.total].map(
    (r) => `RESULT ${JSON.stringify({ bench: 'ycsb', system: 'edgekv', workload: result.workload, ...r, seconds: Number(result.seconds.toFixed(2)), ...machine, params })}`,
  );
}

/** Runs the benchmark; `out` gets the table and the RESULT lines, `progress` what a person watches meanwhile. */
export async function runYcsb(options: YcsbOptions, out: (line: string) => void, progress: (line: string) => void): Promise<WorkloadResult[]> {
  let cluster: Cluster | undefined;
  let dataDir: string | undefined;
  let runner: YcsbRunner | undefined;
  try {
    let endpoints = options.endpoints;
    let setting: Record<string, unknown> = { cluster: 'external' };
    if (endpoints === undefined) {
      dataDir = mkdtempSync(join(tmpdir(), 'edgekv-ycsb-'));
      const basePort = await findFreePortRange(options.groups * options.nodesPerGroup + 100 + options.groups * (options.nodesPerGroup + 1));
      progress(`starting ${options.groups} groups × ${options.nodesPerGroup} edge nodes + gateways (${options.mode}) in ${dataDir}...`);
      cluster = await Cluster.start({
        dataDir,
        groups: options.groups,
        nodesPerGroup: options.nodesPerGroup,
        basePort,
        internalBasePort: basePort + 100,
        mode: options.mode,
        bootModule: options.bootModule,
        out: progress,
      });
      await cluster.waitReady();
      endpoints = cluster.endpoints;
      setting = { cluster: 'own', groups: options.groups, nodes_per_group: options.nodesPerGroup, mode: options.mode, host: 'single host, loopback' };
    }
    const groups = await groupEndpoints(endpoints, options.timeoutMs);
    progress(`groups: ${[...groups].map(([g, eps]) => `${g} (${eps.length} endpoints)`).join(', ')}`);
    runner = new YcsbRunner(options, groups, progress);
    const loaded = await runner.load();
    progress(`loaded ${loaded.puts} records in ${loaded.seconds.toFixed(1)} s (${Math.round(loaded.puts / loaded.seconds)} puts/s, ${loaded.errors} errors)`);
    const results: WorkloadResult[] = [];
    out('workload  op                 ops   ops/s    p50 ms   p99 ms  errors  not found');
    for (const [i, name] of options.workloads.entries()) {
      progress(`workload ${name}: ${coreWorkloads[name]!.description}`);
      const result = await runner.run(name, i);
      results.push(result);
      for (const r of [...result.byOp, result.total]) {
        out(
          `${name.padEnd(8)}  ${r.op.padEnd(17)} ${String(r.ops).padStart(5)} ${r.ops_per_sec.toFixed(0).padStart(7)} ${r.p50_ms.toFixed(2).padStart(9)} ${r.p99_ms
            .toFixed(2)
            .padStart(8)} ${String(r.errors).padStart(7)} ${String(r.not_found).padStart(10)}`,
        );
      }
      if (result.firstError !== undefined) progress(`workload ${name}: first error: ${result.firstError}`);
      for (const line of resultLines(result, options, setting)) out(line);
    }
    return results;
  } finally {
    runner?.close();
    await cluster?.stop();
    if (dataDir !== undefined && !options.keepData) rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function main(args: string[]): Promise<void> {
  const options = parseYcsbArgs(args);
  await runYcsb(
    options,
    (line) => process.stdout.write(`${line}\n`),
    (line) => process.stderr.write(`ycsb: ${line}\n`),
  );
  // Host threads' handles (lmdb, grpc) are closed; do not wait for stragglers.
  process.exit(0);
}
