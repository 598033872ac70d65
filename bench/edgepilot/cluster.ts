import { loadavg } from 'node:os';
import { ActorJobRunner } from '../../actors/compaction/actor-job-runner.js';
import type { CompactionReply, CompactionStats } from '../../actors/compaction/messages.js';
import { HostCpu } from '../../actors/pilot/emulated-tier.js';
import { bootPilotNode, type PilotNode, type PilotNodeConfig } from '../../actors/pilot/pilot-node.js';
import { ActorSystem, MemoryLogger } from '../../runtime/index.js';
import { PoolService } from '../../runtime/pool.js';
import { SeededRandom } from '../../runtime/random.js';
import { LsmEngine, type EngineOptions } from '../../storage/engine.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';
import { PoolJobRunner, STORAGE_POOL_TASKS } from '../../storage/job-runner.js';
import type { StallCause } from '../../storage/write-controller.js';
import { makeKey, ValueSource } from '../lsm/workload.js';
import { WritePacer } from './write-pacer.js';

export type Mode = 'baseline' | 'edgepilot';

export interface ClusterParams {
  nodes: PilotNodeConfig[];
  durationMs: number;
  keySize: number;
  valueSize: number;
  /** Distinct keys per node (fillrandom draws uniformly from them). */
  num: number;
  inflight: number;
  /**
   * Per-node cap on offered writes (db_bench --benchmark_write_rate_limit), so
   * the nodes' real merges together stay within the shared host's threads; a
   * node that stalls falls below it. 0: unthrottled.
   */
  writeRateOpsPerSec: number;
  /** Engine settings shared by every node (scaled so the weak tiers' merges are the bottleneck). */
  engine: Partial<EngineOptions>;
  /** Co-located load threads per node at time t (ms since start). */
  load?: (node: string, tMs: number) => number;
  sampleMs: number;
  seed: number;
  /** Real merge threads shared by all nodes (the host's cores, not the tiers'). */
  poolThreads: number;
  /** One-way network: fixed latency plus bytes at the link rate. */
  networkLatencyMs: number;
  networkMBps: number;
  /** Merge speed of a speedFactor-1 (high tier) core, MB/s: tiers get an absolute speed (see EmulatedTier). */
  referenceMergeMBps?: number;
}

export interface NodeSample {
  tMs: number;
  opsPerSec: number;
  stallMs: number;
  loadThreads: number;
  /** CPU of the node's LSM instance in % of one core (top-style): the write path plus its own merges. */
  lsmCpuPercent: number;
  /** CPU of merges run here for other nodes, % of one core (the paper's "compaction offloading" process). */
  offloadCpuPercent: number;
  queuedMerges: number;
}

export interface NodeResult {
  node: string;
  tier: string;
  cores: number;
  speedFactor: number;
  ops: number;
  opsPerSec: number;
  stallMs: number;
  stallByCauseMs: Record<StallCause, number>;
  /** Of stallMs: writes stopped, and writes slowed to the delayed rate. */
  stallStoppedMs: number;
  stallDelayedMs: number;
  stalledCount: number;
  compactions: { local: number; offloaded: number; received: number; fallbacks: number; fallbacksByReason: CompactionStats['fallbacksByReason'] };
  bytesSent: number;
  bytesReceived: number;
  /** Mean |predicted − actual| / actual over merges the scheduler predicted. */
  predictionErrorPct: number | null;
  predictions: number;
  samples: NodeSample[];
}

export interface ClusterResult {
  mode: Mode;
  nodes: NodeResult[];
  durationMs: number;
  /** The host's 1-minute load average when the run started and ended (the host is shared and noisy). */
  loadAvg: { start: number; end: number };
}

async function compactionStats(n: PilotNode): Promise<CompactionStats> {
  const r = await n.compaction.ask<CompactionReply>({ type: 'stats' }, { timeoutMs: 10_000 });
  if (!r.ok || r.type !== 'stats') throw new Error(`no stats from ${n.name}`);
  return r.stats;
}

/**
 * Runs `fillrandom` on every node of an emulated federation at once, in one
 * process: one actor system, one engine per node (in-memory files), merges on
 * a shared piscina pool stretched per node by its emulated tier, offloads over
 * an emulated link. `baseline` runs every merge locally; `edgepilot` asks the
 * master. Tiers, the link and the co-located load are emulated.
 */
export async function runCluster(mode: Mode, p: ClusterParams, onEnd?: (nodes: PilotNode[]) => void | Promise<void>): Promise<ClusterResult> {
  const system = new ActorSystem({ name: `edgepilot-${mode}`, logger: new MemoryLogger() });
  // RocksDB's split: merge threads, and a thread of its own for flushes (a flush queued behind merges stops writes).
  const pool = new PoolService({ tasks: STORAGE_POOL_TASKS, maxThreads: p.poolThreads, minThreads: p.poolThreads });
  const flushPool = new PoolService({ tasks: STORAGE_POOL_TASKS, maxThreads: 1, minThreads: 1 });
  const table = { blockSizeBytes: 4096, blockRestartInterval: 16, bloomBitsPerKey: 10 };
  for (const x of [pool, flushPool]) {
    await x.warmUp('lsm-flush', { chunks: [], index: new Float64Array(0), count: 0, table });
    await x.warmUp('lsm-compaction', { inputs: [], targetFileSizeBytes: 1 << 20, dropTombstones: false, table });
  }
  const runner = new PoolJobRunner(pool, flushPool);
  const host = { merge: new HostCpu(p.poolThreads, system.clock), flush: new HostCpu(1, system.clock) };
  const nodes = p.nodes.map((self) =>
    bootPilotNode({
      system,
      self,
      federation: p.nodes,
      runner,
      host,
      ...(p.referenceMergeMBps !== undefined ? { referenceBytesPerMs: p.referenceMergeMBps * 1000 } : {}),
      refOf: (_node, path) => system.ref({ system: system.name, path }),
      offload: mode === 'edgepilot',
      networkDelayMs: (bytes) => p.networkLatencyMs + bytes / (p.networkMBps * 1000),
    }),
  );
  const engines = await Promise.all(
    nodes.map((n) =>
      LsmEngine.open({
        ...p.engine,
        fs: new MemoryFileSystem(),
        dir: `/${n.name}`,
        jobs: new ActorJobRunner(n.compaction, n.cpu),
      }),
    ),
  );
  // Let the monitors report once so the master knows everyone before writes start.
  await new Promise((r) => setTimeout(r, 50));
  const ops = nodes.map(() => 0);
  const samples: NodeSample[][] = nodes.map(() => []);
  const loadAtStart = loadavg()[0]!;
  const t0 = performance.now();
  let stop = false;
  const drivers = nodes.map(async (n, i) => {
    const r = new SeededRandom(p.seed + i);
    const values = new ValueSource(p.valueSize, p.seed + 100 + i);
    const e = engines[i]!;
    const pacer = new WritePacer(p.writeRateOpsPerSec, performance.now());
    while (!stop) {
      const waitMs = pacer.next(p.inflight, performance.now());
      if (waitMs > 0) await new Promise((res) => setTimeout(res, waitMs));
      const ps: Promise<void>[] = [];
      for (let j = 0; j < p.inflight; j++) ps.push(e.put('local', makeKey(r.int(p.num), p.keySize), values.next()));
      await Promise.all(ps);
      ops[i]! += p.inflight;
    }
  });
  const lastOps = nodes.map(() => 0);
  const lastStall = nodes.map(() => 0);
  const lastBusy = nodes.map(() => ({ own: 0, others: 0 }));
  const sampler = setInterval(() => {
    const t = performance.now() - t0;
    nodes.forEach((n, i) => {
      const threads = p.load?.(n.name, t) ?? 0;
      n.cpu.setLoadThreads(threads);
      const st = engines[i]!.stats().stall.totalMs;
      const cpu = n.cpu.status();
      // Core-ms used in this period: the write path (one core), load threads, merges (own and received).
      const own = n.cpu.busyOwnMs - lastBusy[i]!.own;
      const others = n.cpu.busyForOthersMs - lastBusy[i]!.others;
      lastBusy[i] = { own: n.cpu.busyOwnMs, others: n.cpu.busyForOthersMs };
      samples[i]!.push({
        tMs: Math.round(t),
        opsPerSec: Math.round(((ops[i]! - lastOps[i]!) * 1000) / p.sampleMs),
        stallMs: Math.round(st - lastStall[i]!),
        loadThreads: threads,
        lsmCpuPercent: Math.round((100 * (p.sampleMs + own)) / p.sampleMs),
        offloadCpuPercent: Math.round((100 * others) / p.sampleMs),
        queuedMerges: cpu.queuedMerges,
      });
      lastOps[i] = ops[i]!;
      lastStall[i] = st;
    });
  }, p.sampleMs);
  nodes.forEach((n) => n.cpu.setLoadThreads(p.load?.(n.name, 0) ?? 0));
  await new Promise((r) => setTimeout(r, p.durationMs));
  stop = true;
  const elapsed = performance.now() - t0;
  const loadAtEnd = loadavg()[0]!;
  const stallAtEnd = engines.map((e) => e.stats().stall);
  clearInterval(sampler);
  await Promise.all(drivers);
  await onEnd?.(nodes);
  const results: NodeResult[] = [];
  for (const [i, n] of nodes.entries()) {
    const cs = await compactionStats(n);
    const st = stallAtEnd[i]!;
    const preds = cs.predictions.filter((x) => x.actualMs > 0);
    results.push({
      node: n.name,
      tier: n.tier.name,
      cores: n.tier.cores,
      speedFactor: n.tier.speedFactor,
      ops: ops[i]!,
      opsPerSec: Math.round((ops[i]! * 1000) / elapsed),
      stallMs: Math.round(st.totalMs),
      stallByCauseMs: Object.fromEntries(Object.entries(st.byCauseMs).map(([k, v]) => [k, Math.round(v)])) as Record<StallCause, number>,
      stalledCount: st.stoppedCount + st.delayedCount,
      stallStoppedMs: Math.round(st.stoppedMs),
      stallDelayedMs: Math.round(st.delayedMs),
      compactions: {
        local: cs.localJobs - cs.remoteFallbacks,
        offloaded: cs.remoteJobs,
        received: cs.servedForOthers,
        fallbacks: cs.remoteFallbacks,
        fallbacksByReason: cs.fallbacksByReason,
      },
      bytesSent: cs.bytesSent,
      bytesReceived: cs.bytesReceived,
      predictionErrorPct: preds.length === 0 ? null : Math.round((100 * preds.reduce((s, x) => s + Math.abs(x.predictedMs - x.actualMs) / x.actualMs, 0)) / preds.length),
      predictions: preds.length,
      samples: samples[i]!,
    });
  }
  for (const e of engines) await e.close();
  system.terminate();
  await pool.close();
  await flushPool.close();
  const round1 = (x: number) => Math.round(x * 10) / 10;
  return { mode, nodes: results, durationMs: Math.round(elapsed), loadAvg: { start: round1(loadAtStart), end: round1(loadAtEnd) } };
}
