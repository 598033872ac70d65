import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import type { PilotNodeConfig } from '../../actors/pilot/pilot-node.js';
import { runCluster, type ClusterParams, type ClusterResult, type NodeResult } from './cluster.js';
import { barChart, lineChart, stack } from './svg.js';
import { flag } from '../args.js';

/**
 * EdgePilot on one host (BENCHMARKS.md): the paper's experiments with tiers,
 * link and co-located load emulated.
 *  1. tiers: high, medium, low run fillrandom at once; baseline (every merge
 *     local) then EdgePilot, same parameters, same run (figures 8 and 9).
 *  2. ramp: EdgePilot while the high node's co-located load goes 0→8 threads (figure 11).
 *  3. scale: six nodes, two per tier, baseline vs EdgePilot (figures 12 and 13).
 */

export interface EdgepilotBenchOptions {
  quick: boolean;
  /** Seconds per mode for the tier and scale runs; the ramp runs 1.5× as long. */
  seconds: number;
  outDir: string;
  print: (line: string) => void;
  /** Offered writes per node per second (default DEFAULT_RATE). */
  rate?: number;
  /** Merge speed of a high-tier core in MB/s (default DEFAULT_MERGE_MBPS); the other tiers scale from it. */
  mergeMBps?: number;
  /** Run only these experiments (default: all three). */
  only?: Experiment[];
}

export type Experiment = 'tiers' | 'ramp' | 'scale';
const EXPERIMENTS: Experiment[] = ['tiers', 'ramp', 'scale'];

const THREE: PilotNodeConfig[] = [
  { name: 'high-1', tier: 'high' },
  { name: 'medium-1', tier: 'medium' },
  { name: 'low-1', tier: 'low' },
];
const SIX: PilotNodeConfig[] = [
  { name: 'high-1', tier: 'high' },
  { name: 'high-2', tier: 'high' },
  { name: 'medium-1', tier: 'medium' },
  { name: 'medium-2', tier: 'medium' },
  { name: 'low-1', tier: 'low' },
  { name: 'low-2', tier: 'low' },
];

/**
 * Merge speed of a high-tier core (MB/s); medium ×0.55, low ×0.3. Set so the
 * emulated times, not the two real cores the nodes share, bound the merges:
 * the real merges of all nodes then leave the host about half idle.
 */
export const DEFAULT_MERGE_MBPS = 10;
/**
 * Offered writes per node per second. As in the paper's Fig. 8 setting, the
 * high tier keeps up (it stalls for tens of ms per minute) and the medium and
 * low tiers do not (about 78% and 55% of it in the baseline). The README's
 * sweep shows what EdgePilot does at other rates.
 */
export const DEFAULT_RATE = 2900;

/**
 * Sizes scaled so that on this host the weak tiers' merges are the
 * bottleneck: small memtables and L0 triggers (many small merges), 400-byte
 * values (the paper used 16-1000), an offered rate per node that the high
 * tier sustains and the weak ones do not (RESULT lines carry it), and an
 * absolute merge speed per tier (DEFAULT_MERGE_MBPS per high-tier merge,
 * medium ×0.55, low ×0.3) so the shared host's noise matters only when it is
 * slower than that.
 */
export function clusterParams(nodes: PilotNodeConfig[], seconds: number, seed: number, rate?: number, mergeMBps?: number): ClusterParams {
  const wb = 256 * 1024;
  return {
    nodes,
    durationMs: seconds * 1000,
    keySize: 16,
    valueSize: 400,
    num: 5_000_000,
    inflight: 32,
    writeRateOpsPerSec: rate ?? DEFAULT_RATE,
    engine: {
      writeBufferSizeBytes: wb,
      maxWriteBufferNumber: 4,
      level0FileNumCompactionTrigger: 2,
      level0SlowdownWritesTrigger: 4,
      level0StopWritesTrigger: 8,
      maxBytesForLevelBaseBytes: 8 * wb,
      targetFileSizeBaseBytes: wb,
      maxBackgroundCompactions: 2,
    },
    sampleMs: 1000,
    seed,
    poolThreads: 2,
    networkLatencyMs: 0.25,
    networkMBps: 1250,
    referenceMergeMBps: mergeMBps ?? DEFAULT_MERGE_MBPS,
  };
}

function resultLine(experiment: string, r: ClusterResult, n: NodeResult, p: ClusterParams): Record<string, unknown> {
  return {
    bench: 'edgepilot',
    system: r.mode === 'edgepilot' ? 'edgekv' : 'edgekv-baseline',
    workload: 'fillrandom',
    experiment,
    node: n.node,
    tier: n.tier,
    tiers: 'emulated',
    cores: n.cores,
    speed_factor: n.speedFactor,
    ops_per_sec: n.opsPerSec,
    stall_ms: n.stallMs,
    stall_by_cause_ms: n.stallByCauseMs,
    stall_stopped_ms: n.stallStoppedMs,
    stall_delayed_ms: n.stallDelayedMs,
    compactions_local: n.compactions.local,
    compactions_offloaded: n.compactions.offloaded,
    compactions_received: n.compactions.received,
    fallbacks: n.compactions.fallbacks,
    bytes_sent: n.bytesSent,
    bytes_received: n.bytesReceived,
    prediction_error_pct: n.predictionErrorPct,
    duration_ms: r.durationMs,
    loadavg_1m: r.loadAvg,
    params: { value_size: p.valueSize, key_size: p.keySize, write_rate_limit: p.writeRateOpsPerSec, write_buffer: p.engine.writeBufferSizeBytes, tier_reference_merge_mbps: p.referenceMergeMBps },
  };
}

/** Change from b to a in percent; null when b is 0 and a is not (no baseline to compare with). */
const pct = (a: number, b: number): number | null => (b === 0 ? (a === 0 ? 0 : null) : Math.round((1000 * (a - b)) / b) / 10);

function ratioLines(experiment: string, base: ClusterResult, pilot: ClusterResult): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const b of base.nodes) {
    const e = pilot.nodes.find((x) => x.node === b.node)!;
    out.push({
      bench: 'edgepilot',
      system: 'ratio',
      workload: 'fillrandom',
      experiment,
      node: b.node,
      tier: b.tier,
      tiers: 'emulated',
      throughput_ratio: Math.round((1000 * e.opsPerSec) / Math.max(1, b.opsPerSec)) / 1000,
      throughput_change_pct: pct(e.opsPerSec, b.opsPerSec),
      stall_change_pct: pct(e.stallMs, b.stallMs),
      baseline_stall_ms: b.stallMs,
      edgepilot_stall_ms: e.stallMs,
    });
  }
  const sum = (r: ClusterResult, f: (n: NodeResult) => number) => r.nodes.reduce((s, n) => s + f(n), 0);
  out.push({
    bench: 'edgepilot',
    system: 'ratio',
    workload: 'fillrandom',
    experiment,
    node: 'system',
    tiers: 'emulated',
    throughput_ratio: Math.round((1000 * sum(pilot, (n) => n.opsPerSec)) / Math.max(1, sum(base, (n) => n.opsPerSec))) / 1000,
    throughput_change_pct: pct(sum(pilot, (n) => n.opsPerSec), sum(base, (n) => n.opsPerSec)),
    stall_change_pct: pct(sum(pilot, (n) => n.stallMs), sum(base, (n) => n.stallMs)),
    baseline_stall_ms: sum(base, (n) => n.stallMs),
    edgepilot_stall_ms: sum(pilot, (n) => n.stallMs),
  });
  return out;
}

const NOTE = 'tiers, link and co-located load emulated on one host';

function throughputFigure(title: string, base: ClusterResult, pilot: ClusterResult): string {
  return barChart({
    title,
    yLabel: 'throughput normalised to baseline',
    categories: base.nodes.map((n) => n.node),
    series: [
      { name: 'Baseline', values: base.nodes.map(() => 1) },
      { name: 'EdgePilot', values: base.nodes.map((b) => pilot.nodes.find((e) => e.node === b.node)!.opsPerSec / Math.max(1, b.opsPerSec)) },
    ],
    reference: 1,
    note: NOTE,
  });
}

function stallFigure(title: string, base: ClusterResult, pilot: ClusterResult): string {
  return barChart({
    title,
    yLabel: 'write-stall duration (s)',
    categories: base.nodes.map((n) => n.node),
    series: [
      { name: 'Baseline', values: base.nodes.map((n) => n.stallMs / 1000) },
      { name: 'EdgePilot', values: base.nodes.map((b) => pilot.nodes.find((e) => e.node === b.node)!.stallMs / 1000) },
    ],
    note: NOTE,
  });
}

function rampFigure(r: ClusterResult): string {
  return stack(
    r.nodes.map((n) =>
      lineChart({
        title: `${n.node}: CPU (% of one core) while high-1's co-located load ramps`,
        xLabel: 'time (s)',
        yLabel: 'CPU %',
        series: [
          { name: 'LSM instance', points: n.samples.map((s) => [s.tMs / 1000, s.lsmCpuPercent]) },
          { name: 'offloaded merges', points: n.samples.map((s) => [s.tMs / 1000, s.offloadCpuPercent]) },
          { name: 'extra threads ×100', points: r.nodes[0]!.samples.map((s) => [s.tMs / 1000, s.loadThreads * 100]) },
        ],
        note: NOTE,
      }),
    ),
  );
}

function timelineFigure(title: string, base: NodeResult, pilot: NodeResult): string {
  return lineChart({
    title,
    xLabel: 'time (s)',
    yLabel: 'ops/s',
    series: [
      { name: 'Baseline', points: base.samples.map((s) => [s.tMs / 1000, s.opsPerSec]) },
      { name: 'EdgePilot', points: pilot.samples.map((s) => [s.tMs / 1000, s.opsPerSec]) },
    ],
    note: NOTE,
  });
}

export async function runEdgepilotBench(o: EdgepilotBenchOptions): Promise<{ lines: Record<string, unknown>[]; files: string[] }> {
  mkdirSync(o.outDir, { recursive: true });
  const lines: Record<string, unknown>[] = [];
  const files: string[] = [];
  const emit = (l: Record<string, unknown>) => {
    lines.push(l);
    o.print(`RESULT ${JSON.stringify(l)}`);
  };
  const write = (name: string, svg: string) => {
    writeFileSync(join(o.outDir, name), svg);
    files.push(name);
  };
  const table = (r: ClusterResult) => {
    o.print(`  ${r.mode}: host load average (1 min) ${r.loadAvg.start} at start, ${r.loadAvg.end} at end`);
    for (const n of r.nodes) {
      o.print(
        `  ${r.mode.padEnd(9)} ${n.node.padEnd(9)} ${String(n.opsPerSec).padStart(7)} ops/s  stall ${String(n.stallMs).padStart(6)} ms (stopped ${n.stallStoppedMs})  ` +
          `merges local ${n.compactions.local} offloaded ${n.compactions.offloaded} received ${n.compactions.received} fallbacks ${n.compactions.fallbacks}`,
      );
    }
  };

  /** The baseline (local compaction only) and EdgePilot on the same parameters, one after the other, reported side by side. */
  const baselineVsPilot = async (experiment: string, p: ClusterParams): Promise<[ClusterResult, ClusterResult]> => {
    const base = await runCluster('baseline', p);
    table(base);
    const pilot = await runCluster('edgepilot', p);
    table(pilot);
    for (const r of [base, pilot]) for (const n of r.nodes) emit(resultLine(experiment, r, n, p));
    for (const l of ratioLines(experiment, base, pilot)) emit(l);
    return [base, pilot];
  };

  const runs = (e: Experiment) => o.only === undefined || o.only.includes(e);
  // 1. Three tiers.
  if (runs('tiers')) {
    o.print(`# tiers: high/medium/low, fillrandom ${o.seconds}s per mode (tiers emulated)`);
    const [base3, pilot3] = await baselineVsPilot('tiers', clusterParams(THREE, o.seconds, 11, o.rate, o.mergeMBps));
    write('fig8-throughput.svg', throughputFigure('Fig. 8(a) FillRandom: normalised throughput', base3, pilot3));
    write('fig9-stall.svg', stallFigure('Fig. 9(a) FillRandom: write-stall duration', base3, pilot3));
    write('fig10-low-timeline.svg', timelineFigure('Fig. 10: low-1 throughput over time', base3.nodes[2]!, pilot3.nodes[2]!));
  }

  // 2. Co-located load ramp on the high node: 0→8 threads in equal steps.
  if (runs('ramp')) {
    const rampSeconds = Math.round(o.seconds * 1.5);
    o.print(`# ramp: EdgePilot, high-1 co-located load 0→8 threads over ${rampSeconds}s`);
    const pr = clusterParams(THREE, rampSeconds, 13, o.rate, o.mergeMBps);
    pr.load = (node, tMs) => (node === 'high-1' ? Math.min(8, Math.floor((9 * tMs) / (rampSeconds * 1000))) : 0);
    const ramp = await runCluster('edgepilot', pr);
    table(ramp);
    for (const n of ramp.nodes) {
      emit({
        ...resultLine('ramp', ramp, n, pr),
        per_second: n.samples.map((s) => ({ t: Math.round(s.tMs / 1000), load_threads: s.loadThreads, ops: s.opsPerSec, lsm_cpu: s.lsmCpuPercent, offload_cpu: s.offloadCpuPercent })),
      });
    }
    write('fig11-ramp.svg', rampFigure(ramp));
  }

  // 3. Six nodes.
  if (runs('scale')) {
    o.print(`# scale: six nodes (two per tier), ${o.seconds}s per mode`);
    const [base6, pilot6] = await baselineVsPilot('scale', clusterParams(SIX, o.seconds, 17, o.rate, o.mergeMBps));
    write('fig12-scale-throughput.svg', throughputFigure('Fig. 12: normalised throughput, six servers', base6, pilot6));
    write('fig13-scale-stall.svg', stallFigure('Fig. 13: write-stall duration, six servers', base6, pilot6));
  }

  const machine = { nproc: availableParallelism(), node: process.version, loadavg: loadavg().map((x) => Math.round(x * 10) / 10) };
  writeFileSync(join(o.outDir, 'results.json'), JSON.stringify({ machine, tiers: 'emulated', lines }, null, 1));
  writeFileSync(
    join(o.outDir, 'README.md'),
    [
      '# EdgePilot on one host',
      '',
      `Tiers were **emulated** on one ${machine.nproc}-core host (Node ${machine.node}, load average ${machine.loadavg.join(' ')} at the end):`,
      `a node's merge takes max(real merge time on the shared piscina threads, input bytes / (${o.mergeMBps ?? DEFAULT_MERGE_MBPS} MB/s × speed factor)) on the clock,`,
      'its core count bounds its merge concurrency and is what its monitor reports; the 10 Gbps link is a delay',
      '(0.25 ms + bytes at 1250 MB/s each way); the co-located load holds emulated cores and stretches merges by contention,',
      'it burns no real CPU. Writes are rate-limited per node (db_bench --benchmark_write_rate_limit): the high tier keeps up,',
      'the weak ones do not. Flushes are not stretched. Storage is in memory. See RESULT lines in results.json.',
      '',
      ...files.map((f) => `- ${f}`),
    ].join('\n'),
  );
  return { lines, files };
}

export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const secondsArg = flag(args, 'seconds');
  const seconds = secondsArg !== undefined ? Number(secondsArg) : quick ? 4 : 60;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = join(new URL('../../', import.meta.url).pathname, 'results', 'edgepilot', stamp);
  const rateArg = flag(args, 'rate');
  const rate = rateArg !== undefined ? Number(rateArg) : undefined;
  const mbpsArg = flag(args, 'merge-mbps');
  const mergeMBps = mbpsArg !== undefined ? Number(mbpsArg) : undefined;
  const only = flag(args, 'only')?.split(',') as Experiment[] | undefined;
  const bad = only?.find((e) => !EXPERIMENTS.includes(e));
  if (bad !== undefined) throw new Error(`--only: unknown experiment "${bad}" (${EXPERIMENTS.join(', ')})`);
  const { files } = await runEdgepilotBench({ quick, seconds, outDir, print: (l) => console.log(l), ...(rate !== undefined ? { rate } : {}), ...(only ? { only } : {}), ...(mergeMBps !== undefined ? { mergeMBps } : {}) });
  console.log(`figures: ${files.map((f) => join(outDir, f)).join(' ')}`);
  process.exit(0);
}
