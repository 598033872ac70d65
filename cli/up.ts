// `edgekv up`: start the cluster, say where clients connect, run until Ctrl-C.
import { resolve } from 'node:path';
import type { ResolvedTopology, ResolvedVariant } from '../topologies/resolve.js';
import type { LinkState } from '../topologies/real/links.js';
import { TimelinePlayer } from '../topologies/real/timeline.js';
import { clusterOptionsOf, clusterTimelineTarget } from '../topologies/real/topology-cluster.js';
import { Cluster, type ClusterOptions, type HostMode } from './cluster/cluster.js';
import { describeClusterLayout } from './cluster/layout.js';
import { table } from './status-table.js';

/** `up` is the cluster's options with the ones the command always sets made required. */
export interface UpOptions extends Omit<ClusterOptions, 'bootModule'> {
  mode: HostMode;
  restart: boolean;
  out: (line: string) => void;
  /** Resolves when `up` should stop (default: SIGINT or SIGTERM). */
  stopSignal?: Promise<string>;
  /** `--topology`: its hosts, placement, tiers and links (of one variant); its timeline plays once the cluster is ready. */
  topology?: { topology: ResolvedTopology; variant: ResolvedVariant };
}

function signalled(): { promise: Promise<string>; dispose: () => void } {
  let onSignal!: (signal: string) => void;
  const promise = new Promise<string>((r) => (onSignal = r));
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((s) => [s, () => onSignal(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  return { promise, dispose: () => handlers.forEach(([s, h]) => process.off(s, h)) };
}

export async function runUp(options: UpOptions): Promise<void> {
  const { out } = options;
  const signals = signalled();
  const dataDir = resolve(options.dataDir);
  try {
    let cluster: Cluster | undefined;
    let links: LinkState | undefined;
    let fromTopology: Partial<ClusterOptions> = {};
    if (options.topology !== undefined) {
      const made = clusterOptionsOf(options.topology.topology, options.topology.variant);
      links = made.links;
      // Flags given on the command line win over the topology's defaults.
      fromTopology = { ...made.options, mode: options.mode, ...(options.basePort !== undefined ? { basePort: options.basePort } : {}) };
      if (options.internalBasePort !== undefined) fromTopology.internalBasePort = options.internalBasePort;
      // --pilot on|off|local applies on top of the topology's tiers.
      if (options.pilot !== undefined) fromTopology.pilot = { ...made.options.pilot, ...options.pilot };
    }
    const starting = Cluster.start({ ...options, ...fromTopology, dataDir, out: (l) => out(`edgekv up: ${l}`) });
    const first = await Promise.race([starting, options.stopSignal ?? signals.promise]);
    if (typeof first === 'string') {
      out(`edgekv up: ${first} while starting; stopping`);
      await (await starting.catch(() => undefined))?.stop();
      out('edgekv up: stopped');
      return;
    }
    cluster = first;
    const { plan } = cluster;
    out(
      `edgekv up: ${cluster.restarted ? 'restarted' : 'created'} a cluster of ${describeClusterLayout(plan.layout)} ` +
        `(${cluster.mode}) in ${dataDir}${options.topology !== undefined ? ` from topology ${options.topology.topology.name} (${options.topology.variant.name})` : ''}`,
    );
    const pids = cluster.pids();
    out(
      table(
        ['group', 'node', 'gRPC endpoint', 'internal', 'pid'],
        plan.hosts.map((h) => [
          h.group,
          h.name,
          h.role === 'edge' ? `${plan.host}:${h.apiPort}` : '(gateway)',
          (h.placement ?? (cluster!.mode === 'processes' ? 'process' : 'thread')) === 'process' ? `${plan.host}:${h.internalPort}` : 'thread',
          String(pids[h.name] ?? ''),
        ]),
      ),
    );
    out('edgekv up: waiting for leaders and the ring...');
    const stop = options.stopSignal ?? signals.promise;
    const ready = cluster.waitReady().then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    const first2 = await Promise.race([ready, stop]);
    if (typeof first2 !== 'string') {
      if (first2 === undefined) out(`edgekv up: ready; clients connect to ${cluster.endpoints.join(',')}`);
      else out(`edgekv up: warning: ${first2.message}; the cluster keeps running`);
      out('edgekv up: try `npx edgekv put hello world` and `npx edgekv status` in another terminal; Ctrl-C stops the cluster');
    }
    let timeline: TimelinePlayer | undefined;
    if (options.topology !== undefined && links !== undefined && options.topology.topology.timeline.length > 0) {
      const t0 = performance.now();
      timeline = new TimelinePlayer(
        options.topology.topology.timeline,
        clusterTimelineTarget(cluster, links),
        options.topology.variant.name,
        (e) => out(`edgekv up: t=${e.t.toFixed(1)} s: ${e.event}${e.ok ? '' : ` failed: ${e.error}`}`),
        () => (performance.now() - t0) / 1000,
      );
      out(`edgekv up: playing the topology's timeline (${options.topology.topology.timeline.length} events)`);
      timeline.start();
    }
    const signal = await stop;
    await timeline?.stop();
    out(`edgekv up: ${signal}: stopping the cluster... (Ctrl-C again to quit at once)`);
    // A second Ctrl-C quits without waiting; host processes follow (they exit when this process's IPC channel closes).
    process.once('SIGINT', () => process.exit(130));
    await cluster.stop();
    out('edgekv up: stopped');
  } finally {
    signals.dispose();
  }
}
