// `npm run bench -- ycsb [--quick] [options]`: YCSB core workloads A–F against
// an EdgeKV cluster. Without --endpoints it starts its own cluster (the CLI's
// Cluster API, in a temporary data directory) and stops it afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Cluster, type HostMode } from '../../cli/cluster/cluster.js';
import { findFreePortRange } from '../../cli/cluster/ports.js';
import { ensureEtcd, startEtcd } from '../raft/etcd.js';
import { groupEndpoints, YcsbRunner, type WorkloadResult, type YcsbParams } from './runner.js';
import { edgekvTarget, etcdTarget, type KvTarget } from './targets.js';
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
  /** The anchor run after EdgeKV with the same workloads: etcd (3 members on loopback) or none. */
  anchor: 'etcd' | 'none';
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
  anchor: 'etcd' as 'etcd' | 'none',
};

/** Seconds, not minutes: a small cluster in threads, a few hundred records and operations. */
export const quickDefaults = { ...fullDefaults, records: 200, operations: 300, clients: 8, groups: 2, mode: 'threads' as HostMode };

const usage = `usage: npm run bench -- ycsb [--quick] [--workloads A,B,C,D,E,F] [--records N] [--operations N] [--clients N]
  [--fields N] [--field-length BYTES] [--global-share 0..1] [--seed N]
  [--endpoints host:port,...]   use a running cluster (default: start one)
  [--groups N] [--nodes-per-group N] [--mode threads|processes] [--keep-data]
  [--anchor etcd|none]          the same workloads on a 3-member etcd afterwards (default etcd)`;

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
      anchor: { type: 'string' },
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
  const anchor = values.anchor ?? base.anchor;
  if (anchor !== 'etcd' && anchor !== 'none') throw new Error(`--anchor must be etcd or none, got ${anchor}`);
  return {
    anchor,
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

function resultLines(system: string, result: WorkloadResult, options: YcsbOptions, setting: Record<string, unknown>): string[] {
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
    (r) => `RESULT ${JSON.stringify({ bench: 'ycsb', system, workload: result.workload, ...r, seconds: Number(result.seconds.toFixed(2)), ...machine, params })}`,
  );
}

const header = 'system  workload  op                 ops   ops/s    p50 ms   p99 ms  errors  not found';

/** Loads the records, then runs each workload in turn; prints a table row and RESULT lines per op. */
async function runWorkloads(
  target: KvTarget,
  options: YcsbOptions,
  setting: Record<string, unknown>,
  out: (line: string) => void,
  progress: (line: string) => void,
): Promise<WorkloadResult[]> {
  const runner = new YcsbRunner(options, target, (l) => progress(`${target.system}: ${l}`));
  try {
    const loaded = await runner.load();
    progress(`${target.system}: loaded ${loaded.puts} records in ${loaded.seconds.toFixed(1)} s (${Math.round(loaded.puts / loaded.seconds)} puts/s, ${loaded.errors} errors)`);
    const results: WorkloadResult[] = [];
    out(header);
    for (const [i, name] of options.workloads.entries()) {
      progress(`${target.system}: workload ${name}: ${coreWorkloads[name]!.description}`);
      const result = await runner.run(name, i);
      results.push(result);
      for (const r of [...result.byOp, result.total]) {
        out(
          `${target.system.padEnd(6)}  ${name.padEnd(8)}  ${r.op.padEnd(17)} ${String(r.ops).padStart(5)} ${r.ops_per_sec.toFixed(0).padStart(7)} ${r.p50_ms
            .toFixed(2)
            .padStart(9)} ${r.p99_ms.toFixed(2).padStart(8)} ${String(r.errors).padStart(7)} ${String(r.not_found).padStart(10)}`,
        );
      }
      if (result.firstError !== undefined) progress(`${target.system}: workload ${name}: first error: ${result.firstError}`);
      for (const line of resultLines(target.system, result, options, setting)) out(line);
    }
    return results;
  } finally {
    runner.close();
  }
}

async function runEdgeKV(options: YcsbOptions, out: (line: string) => void, progress: (line: string) => void) {
  let cluster: Cluster | undefined;
  let dataDir: string | undefined;
  try {
    let endpoints = options.endpoints;
    let setting: Record<string, unknown> = { cluster: 'external' };
    if (endpoints === undefined) {
      dataDir = mkdtempSync(join(tmpdir(), 'edgekv-ycsb-'));
      const basePort = await findFreePortRange(options.groups * options.nodesPerGroup + 100 + options.groups * (options.nodesPerGroup + 1));
      progress(`edgekv: starting ${options.groups} groups × ${options.nodesPerGroup} edge nodes + gateways (${options.mode}) in ${dataDir}...`);
      cluster = await Cluster.start({
        dataDir,
        groups: options.groups,
        nodesPerGroup: options.nodesPerGroup,
        basePort,
        internalBasePort: basePort + 100,
        mode: options.mode,
        bootModule: options.bootModule,
        out: (l) => progress(`edgekv: ${l}`),
      });
      await cluster.waitReady();
      endpoints = cluster.endpoints;
      setting = { cluster: 'own', groups: options.groups, nodes_per_group: options.nodesPerGroup, mode: options.mode, host: 'single host, loopback' };
    }
    const groups = await groupEndpoints(endpoints, options.timeoutMs);
    progress(`edgekv: groups ${[...groups].map(([g, eps]) => `${g} (${eps.length} endpoints)`).join(', ')}`);
    const results = await runWorkloads(edgekvTarget(groups, options.timeoutMs), options, setting, out, progress);
    return { groups: [...groups.keys()], results };
  } finally {
    await cluster?.stop();
    if (dataDir !== undefined && !options.keepData) rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runEtcd(options: YcsbOptions, groups: string[], out: (line: string) => void, progress: (line: string) => void) {
  if (!ensureEtcd(progress)) {
    progress('etcd: not available (apt-get install etcd-server failed); no anchor figures');
    return undefined;
  }
  const etcd = await startEtcd(3);
  try {
    progress(`etcd: ${etcd.version}, 3 members on 127.0.0.1`);
    const setting = { cluster: 'own', members: 3, version: etcd.version, host: 'single host, loopback', keyspaces: `L/<group>/ for ${groups.join(',')}, G/` };
    return await runWorkloads(etcdTarget(etcd.endpoints, groups), options, setting, out, progress);
  } finally {
    await etcd.stop();
  }
}

/** Runs the benchmark (EdgeKV, then the anchor); `out` gets the tables and the RESULT lines, `progress` what a person watches meanwhile. */
export async function runYcsb(options: YcsbOptions, out: (line: string) => void, progress: (line: string) => void): Promise<WorkloadResult[]> {
  const edge = await runEdgeKV(options, out, progress);
  if (options.anchor === 'etcd') {
    const anchor = await runEtcd(options, edge.groups, out, progress);
    if (anchor !== undefined) {
      out('edgekv / etcd (ops/s ratio; p50 ratio, lower is better for edgekv below 1):');
      for (const [i, e] of edge.results.entries()) {
        const a = anchor[i]!;
        const ratio = {
          ops_per_sec_ratio: Number((e.total.ops_per_sec / Math.max(1e-9, a.total.ops_per_sec)).toFixed(3)),
          p50_ratio: Number((e.total.p50_ms / Math.max(1e-9, a.total.p50_ms)).toFixed(3)),
          p99_ratio: Number((e.total.p99_ms / Math.max(1e-9, a.total.p99_ms)).toFixed(3)),
        };
        out(`  ${e.workload}: ×${ratio.ops_per_sec_ratio} ops/s; p50 ×${ratio.p50_ratio}; p99 ×${ratio.p99_ratio}`);
        out(`RESULT ${JSON.stringify({ bench: 'ycsb', system: 'ratio', of: 'edgekv/etcd', workload: e.workload, op: 'all', ...ratio })}`);
      }
    }
  }
  return edge.results;
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
