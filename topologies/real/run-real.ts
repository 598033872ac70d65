// One variant of a topology on a real cluster on this host: hosts as worker
// threads or processes (`edgekv up`'s Cluster), links emulated in every host's
// router and in the clients, the timeline played against the running hosts,
// the workload driven through the gRPC API, and every edge node's counters
// sampled once a second.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdgeKVClient } from '../../api/client.js';
import { seededRandom } from '../../bench/ycsb/generators.js';
import { Cluster } from '../../cli/cluster/cluster.js';
import { endpointOf } from '../../cli/cluster/layout.js';
import type { RunRecord } from '../records.js';
import type { ResolvedTopology, ResolvedVariant } from '../resolve.js';
import { WorkloadDriver } from '../workload/driver.js';
import { ShapedClient } from './client-ops.js';
import { TimelinePlayer } from './timeline.js';
import { clusterOptionsOf, clusterTimelineTarget, tierLabel } from './topology-cluster.js';

export interface RealRunOptions {
  /** Progress lines for people (cluster start and stop). */
  out?: (line: string) => void;
  /** Keep the cluster's data directory (printed) instead of deleting it. */
  keepData?: boolean;
  /** Client deadline per operation (default 5 s). */
  timeoutMs?: number;
  /** Sets `stop()` when the run should end early (Ctrl-C). */
  stopped?: () => boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const metricsTimeoutMs = 800;

export async function runReal(topology: ResolvedTopology, variant: ResolvedVariant, sink: (r: RunRecord) => void, options: RealRunOptions = {}): Promise<void> {
  const out = options.out ?? (() => undefined);
  const stopped = options.stopped ?? (() => false);
  const timeoutMs = options.timeoutMs ?? 5000;
  const dataDir = mkdtempSync(join(tmpdir(), `edgekv-${topology.name}-${variant.name}-`));
  const { options: clusterOptions, links } = clusterOptionsOf(topology, variant);
  sink({
    type: 'meta',
    topology: topology.name,
    variant: variant.name,
    mode: 'real',
    startedAt: new Date().toISOString(),
    seed: topology.seed,
    hosts: topology.hosts.map((h) => {
      const tier = tierLabel(h.role === 'edge' ? variant.tiers[h.name] : undefined);
      return { name: h.name, group: h.group, role: h.role, placement: h.placement, ...(tier !== undefined ? { tier } : {}) };
    }),
    tiersEmulated: Object.keys(variant.tiers).length > 0,
    machine: { nproc: availableParallelism(), node: process.version, platform: `${process.platform}-${process.arch}` },
  });
  out(`[${variant.name}] starting ${topology.hosts.length} hosts in ${dataDir}`);
  const cluster = await Cluster.start({
    dataDir,
    ...clusterOptions,
    logLevel: 'error',
    out: (line) => out(`[${variant.name}] ${line}`),
  });
  const clients: EdgeKVClient[] = [];
  let poller: NodeJS.Timeout | undefined;
  let timeline: TimelinePlayer | undefined;
  try {
    await cluster.waitReady();
    out(`[${variant.name}] cluster ready`);
    const edgeHosts = cluster.plan.hosts.filter((h) => h.role === 'edge');
    const endpoints = new Map(edgeHosts.map((h) => [h.name, endpointOf(cluster.plan, h)]));
    const random = seededRandom(topology.seed * 7919 + 17);
    const perGroup = new Map<string, number>();
    const started = performance.now();
    let t0: number | undefined;
    const elapsedS = () => (t0 === undefined ? 0 : (performance.now() - t0) / 1000);

    const driver = new WorkloadDriver({
      topology,
      variant: variant.name,
      seed: topology.seed,
      clock: { now: () => performance.now(), sleep },
      stopped,
      client: (index, group) => {
        // Clients of a group take its nodes in turn (each talks to the node nearest to it, as in the paper).
        const members = topology.layout.groups.find((g) => g.id === group)!.members;
        const k = perGroup.get(group) ?? 0;
        perGroup.set(group, k + 1);
        const node = members[k % members.length]!;
        const client = new EdgeKVClient({ endpoints: [endpoints.get(node)!], timeoutMs, clientId: `${topology.name}-${variant.name}-${index}` });
        clients.push(client);
        return new ShapedClient(client, node, links, random, timeoutMs, sleep);
      },
      sink,
    });

    const pollNodes = async (): Promise<void> => {
      const t = elapsedS();
      await Promise.all(
        edgeHosts.map(async (h) => {
          if (!cluster.isUp(h.name)) return sink({ type: 'node', variant: variant.name, t, node: h.name, up: false });
          try {
            const m = await cluster.metrics(h.name, metricsTimeoutMs);
            sink({
              type: 'node',
              variant: variant.name,
              t,
              node: h.name,
              up: true,
              ...(m.stall !== undefined ? { stallMs: m.stall.totalMs, stallByCause: m.stall.byCauseMs } : {}),
              ...(m.compactions !== undefined ? { compactions: m.compactions } : {}),
              ...(m.loadThreads !== undefined ? { loadThreads: m.loadThreads } : {}),
            });
          } catch {
            sink({ type: 'node', variant: variant.name, t, node: h.name, up: cluster.isUp(h.name) });
          }
        }),
      );
    };

    const load = await driver.load();
    out(`[${variant.name}] loaded ${load.puts} records in ${(load.ms / 1000).toFixed(1)} s${load.errors > 0 ? ` (${load.errors} errors: ${load.firstError})` : ''}`);
    t0 = performance.now();
    timeline = new TimelinePlayer(topology.timeline, clusterTimelineTarget(cluster, links), variant.name, sink, elapsedS);
    timeline.start();
    let polling = false;
    poller = setInterval(() => {
      if (polling) return;
      polling = true;
      void pollNodes().finally(() => (polling = false));
    }, 1000);
    await driver.run();
    clearInterval(poller);
    poller = undefined;
    await timeline.stop();
    await pollNodes();
    out(`[${variant.name}] done after ${((performance.now() - started) / 1000).toFixed(0)} s; stopping the cluster`);
  } finally {
    if (poller !== undefined) clearInterval(poller);
    await timeline?.stop();
    for (const c of clients) c.close();
    await cluster.stop();
    if (options.keepData === true) out(`[${variant.name}] data kept in ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}
