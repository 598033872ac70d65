// `edgekv up`: start the cluster, say where clients connect, run until Ctrl-C.
import { resolve } from 'node:path';
import { Cluster, type ClusterOptions, type HostMode } from './cluster/cluster.js';
import { describeLayout } from './cluster/layout.js';
import { table } from './status-table.js';

/** `up` is the cluster's options with the ones the command always sets made required. */
export interface UpOptions extends Omit<ClusterOptions, 'bootModule'> {
  mode: HostMode;
  restart: boolean;
  out: (line: string) => void;
  /** Resolves when `up` should stop (default: SIGINT or SIGTERM). */
  stopSignal?: Promise<string>;
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
    const starting = Cluster.start({ ...options, dataDir, out: (l) => out(`edgekv up: ${l}`) });
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
      `edgekv up: ${cluster.restarted ? 'restarted' : 'created'} a cluster of ${describeLayout(plan.groups, plan.nodesPerGroup)} ` +
        `(${cluster.mode}) in ${dataDir}`,
    );
    const pids = cluster.pids();
    out(
      table(
        ['group', 'node', 'gRPC endpoint', 'internal', 'pid'],
        plan.hosts.map((h) => [
          h.group,
          h.name,
          h.role === 'edge' ? `${plan.host}:${h.apiPort}` : '(gateway)',
          cluster!.mode === 'processes' ? `${plan.host}:${h.internalPort}` : 'thread',
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
    const signal = await stop;
    out(`edgekv up: ${signal}: stopping the cluster... (Ctrl-C again to quit at once)`);
    // A second Ctrl-C quits without waiting; host processes follow (they exit when this process's IPC channel closes).
    process.once('SIGINT', () => process.exit(130));
    await cluster.stop();
    out('edgekv up: stopped');
  } finally {
    signals.dispose();
  }
}
