// A single-host EdgeKV cluster: one host per edge node and per gateway, as
// worker threads of this process or as child processes, started in order,
// supervised, and stopped cleanly. `edgekv up` and bench/ycsb use this.
import { join } from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { ClusterLayout, EdgeNodeMetrics, EdgePilotConfig } from '../../actors/edge/contract.js';
import type { ClusterStatus } from '../../api/types.js';
import { EdgeKVClient } from '../../api/client.js';
import type { LogLevel } from '../../runtime/logger.js';
import type { LsmTuning } from '../../storage/defaults.js';
import { breakLockOfDeadThread } from '../../storage/dir-lock.js';
import { cliDefaults } from '../defaults.js';
import { HostFailedError, UsageError } from '../errors.js';
import { claimRunFile, loadOrCreateSecret, removeRunFile, resolvePlan, updateRunFile, writeClusterFile } from './data-dir.js';
import type { HostSpec, LinkTable, TcpWiring } from './host-protocol.js';
import { startProcessHost, startThreadHost, type HostExit, type HostHandle } from './hosts.js';
import { endpointsOf, type ClusterPlan, type HostPlan, type Placement } from './layout.js';
import { checkPortsFree } from './ports.js';

export type HostMode = 'threads' | 'processes';

export interface ClusterOptions {
  dataDir: string;
  /** Layout and ports: unset means what the data directory was created with, else the defaults. */
  groups?: number;
  nodesPerGroup?: number;
  host?: string;
  basePort?: number;
  internalBasePort?: number;
  mode?: HostMode;
  /** Module exporting bootEdgeNode/bootGateway; default actors/edge/index.ts (env EDGEKV_BOOT_MODULE overrides, for tests). */
  bootModule?: string;
  logLevel?: LogLevel;
  /** EdgePilot on the edge nodes (compaction offloading between them); default on, every node at real speed. `{ enabled: false }`: local merges only. */
  pilot?: EdgePilotConfig;
  /** Restart a host that crashes (within the restart budget). Default true. */
  restart?: boolean;
  /** Progress lines for people. */
  out?: (line: string) => void;
  /** A layout of its own (a topology's) instead of groups × nodes per group. */
  layout?: ClusterLayout;
  /** Thread or process per host name (a topology's); others follow `mode`. */
  placements?: Record<string, Placement>;
  /** Emulated links per host: host name → (peer → shape). */
  links?: Record<string, LinkTable>;
  /** LSM engine tuning of every edge node (a topology's `storage`). */
  lsm?: Partial<LsmTuning>;
  /** Gateways not started with the cluster (a topology's `gateway-join` events start them). */
  lateGateways?: string[];
}

const defaultBootModule = new URL('../../actors/edge/index.ts', import.meta.url).href;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function describeExit(exit: HostExit): string {
  return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

/** Every group has a leader and every gateway (but those left out) is on the ring. */
export function readinessGaps(plan: Pick<ClusterPlan, 'layout'>, status: ClusterStatus, offRing: ReadonlySet<string> = new Set()): string[] {
  const gaps: string[] = [];
  for (const group of plan.layout.groups) {
    const seen = status.groups.find((g) => g.group === group.id);
    if (seen?.leader === undefined || seen.leader === null) gaps.push(`${group.id} has no leader`);
  }
  const onRing = new Set(status.ring.map((r) => r.gateway));
  for (const group of plan.layout.groups) if (!offRing.has(group.gateway) && !onRing.has(group.gateway)) gaps.push(`${group.gateway} is not on the ring`);
  return gaps;
}

function placementOf(plan: HostPlan, mode: HostMode): Placement {
  return plan.placement ?? (mode === 'threads' ? 'thread' : 'process');
}

export class Cluster {
  private readonly hosts = new Map<string, HostHandle>();
  /** Hosts that said ready and have not exited since. */
  private readonly live = new Set<string>();
  private readonly restarts = new Map<string, number[]>();
  /** Hosts down on purpose (crashed or left by a topology's timeline): the supervisor leaves them down. */
  private readonly held = new Set<string>();
  private links: Record<string, LinkTable>;
  private readonly loads = new Map<string, number>();
  /** Host incarnations that have exited. */
  private readonly exitedHosts = new WeakSet<HostHandle>();
  private stopping: Promise<void> | undefined;
  private readonly out: (line: string) => void;
  readonly endpoints: string[];

  private constructor(
    readonly plan: ClusterPlan,
    readonly dataDir: string,
    readonly mode: HostMode,
    private readonly secret: string,
    private readonly options: ClusterOptions,
    /** True when the data directory already held this cluster. */
    readonly restarted: boolean,
  ) {
    this.out = options.out ?? (() => undefined);
    this.endpoints = endpointsOf(plan);
    this.links = options.links ?? {};
    for (const gw of options.lateGateways ?? []) this.held.add(gw);
  }

  /** Starts every host (edge nodes together, then gateways one at a time so each joins a settled ring); resolves once all serve. */
  static async start(options: ClusterOptions): Promise<Cluster> {
    const mode = options.mode ?? cliDefaults.mode;
    const { plan, existing } = resolvePlan(options.dataDir, {
      groups: options.groups,
      nodesPerGroup: options.nodesPerGroup,
      host: options.host,
      basePort: options.basePort,
      internalBasePort: options.internalBasePort,
      ...(options.layout !== undefined ? { layout: options.layout } : {}),
      ...(options.placements !== undefined ? { placements: options.placements } : {}),
    });
    claimRunFile(options.dataDir, { pid: process.pid, mode, startedAt: new Date().toISOString(), hosts: {} });
    let cluster: Cluster | undefined;
    try {
      await checkPortsFree(plan.host, [
        ...plan.hosts.flatMap((h) => (h.role === 'edge' ? [{ port: h.apiPort, purpose: `gRPC of ${h.name}` }] : [])),
        ...(plan.hosts.some((h) => placementOf(h, mode) === 'process')
          ? plan.hosts.map((h) => ({ port: h.internalPort, purpose: `internal port of ${h.name}` }))
          : []),
      ]);
      const nodes = new Set(plan.layout.groups.flatMap((g) => g.members));
      const unknown = Object.keys(options.pilot?.tiers ?? {}).filter((n) => !nodes.has(n));
      if (unknown.length > 0) throw new UsageError(`tiers for ${unknown.join(', ')}: no such edge node (the nodes are ${[...nodes].join(', ')})`);
      writeClusterFile(options.dataDir, plan);
      const secret = loadOrCreateSecret(options.dataDir);
      cluster = new Cluster(plan, options.dataDir, mode, secret, options, existing);
      await cluster.startAll();
      return cluster;
    } catch (error) {
      if (cluster !== undefined) await cluster.stop();
      else removeRunFile(options.dataDir, process.pid);
      throw error;
    }
  }

  /** OS pid of every host (threads: all this process). */
  pids(): Record<string, number> {
    return Object.fromEntries([...this.hosts].map(([name, h]) => [name, h.pid]));
  }

  /** Polls the cluster's status until every group has a leader and every gateway is on the ring. */
  async waitReady(timeoutMs: number = cliDefaults.readyTimeoutMs): Promise<ClusterStatus> {
    const client = new EdgeKVClient({ endpoints: this.endpoints, timeoutMs: cliDefaults.readyProbeTimeoutMs });
    const giveUpAt = Date.now() + timeoutMs;
    let last = 'no status yet';
    try {
      while (Date.now() < giveUpAt && this.stopping === undefined) {
        try {
          const status = await client.status();
          const gaps = readinessGaps(this.plan, status, this.held);
          if (gaps.length === 0) return status;
          last = gaps.join(', ');
        } catch (error) {
          last = (error as Error).message;
        }
        await sleep(cliDefaults.readyPollMs);
      }
    } finally {
      client.close();
    }
    throw new HostFailedError('cluster', `not ready within ${timeoutMs} ms: ${last}`);
  }

  /** Stops every host (API servers first inside each), kills what does not stop in time. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all([...this.hosts.values()].map((h) => h.stop(cliDefaults.hostStopTimeoutMs)));
      removeRunFile(this.dataDir, process.pid);
    })();
    return this.stopping;
  }

  private spec(plan: HostPlan, joinVia: string | undefined): HostSpec {
    return {
      plan,
      layout: this.plan.layout,
      dataDir: this.dataDir,
      bindHost: this.plan.host,
      joinVia,
      bootModule: this.options.bootModule ?? process.env.EDGEKV_BOOT_MODULE ?? defaultBootModule,
      logLevel: this.options.logLevel ?? cliDefaults.hostLogLevel,
      ...(this.options.pilot !== undefined ? { pilot: this.options.pilot } : {}),
      ...(this.links[plan.name] !== undefined ? { links: this.links[plan.name] } : {}),
      ...(this.options.lsm !== undefined ? { lsm: this.options.lsm } : {}),
    };
  }

  private placement(plan: HostPlan): Placement {
    return placementOf(plan, this.mode);
  }

  /** TCP wiring to `peers` (every other host for a process; the process peers for a thread). */
  private tcpWiring(self: HostPlan, peers: HostPlan[]): TcpWiring {
    return {
      secret: this.secret,
      peers: peers.filter((h) => h.name !== self.name).map((h) => ({ name: h.name, address: `${this.plan.host}:${h.internalPort}` })),
    };
  }

  /** Threads: a full mesh of direct MessageChannels, made up front so a message to a thread still starting waits in its port. */
  private meshPorts(): Map<string, Record<string, MessagePort>> {
    const threads = this.plan.hosts.filter((h) => this.placement(h) === 'thread');
    const ports = new Map<string, Record<string, MessagePort>>(threads.map((h) => [h.name, {}]));
    const names = threads.map((h) => h.name);
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        const channel = new MessageChannel();
        ports.get(names[i]!)![names[j]!] = channel.port1;
        ports.get(names[j]!)![names[i]!] = channel.port2;
      }
    }
    return ports;
  }

  private launch(plan: HostPlan, joinVia: string | undefined, threadPorts?: Record<string, MessagePort>): HostHandle {
    const spec = this.spec(plan, joinVia);
    const previous = this.hosts.get(plan.name);
    if (this.placement(plan) === 'thread' && plan.role === 'edge' && previous !== undefined && this.exitedHosts.has(previous)) {
      // Its engine's directory lock names this process's pid, so it never looks stale; the thread is gone, so break it.
      breakLockOfDeadThread(join(this.dataDir, plan.name, 'lsm'));
    }
    let handle: HostHandle;
    if (this.placement(plan) === 'process') {
      handle = startProcessHost(spec, this.tcpWiring(plan, this.plan.hosts));
    } else {
      let ports = threadPorts;
      if (ports === undefined) {
        // A thread started late or again: fresh channels to every thread peer (a peer started later gets one then).
        ports = {};
        for (const [peer, other] of this.hosts) {
          if (peer === plan.name || other.link === undefined) continue;
          const channel = new MessageChannel();
          other.link(plan.name, channel.port1);
          ports[peer] = channel.port2;
        }
      }
      const processes = this.plan.hosts.filter((h) => this.placement(h) === 'process');
      handle = startThreadHost(spec, ports, processes.length > 0 ? this.tcpWiring(plan, processes) : undefined);
    }
    this.hosts.set(plan.name, handle);
    void handle.ready.then(
      () => this.hosts.get(plan.name) === handle && this.live.add(plan.name),
      () => undefined,
    );
    void handle.exited.then((exit) => {
      this.exitedHosts.add(handle);
      if (this.hosts.get(plan.name) === handle) this.live.delete(plan.name);
      return this.onExit(plan, handle, exit);
    });
    return handle;
  }

  private async startAll(): Promise<void> {
    const mesh = this.mode === 'threads' ? this.meshPorts() : undefined;
    const edges = this.plan.hosts.filter((h) => h.role === 'edge');
    const gateways = this.plan.hosts.filter((h) => h.role === 'gateway' && !this.held.has(h.name));
    this.out(`starting ${edges.length} edge nodes (${this.describePlacement()})...`);
    const started = edges.map((h) => this.launch(h, undefined, mesh?.get(h.name)));
    await this.readyAll(started);
    const first = gateways[0]?.name;
    for (const gw of gateways) {
      this.out(`starting gateway ${gw.name}${gw.name === first ? ' (new ring)' : ` (joins via ${first})`}...`);
      await this.readyAll([this.launch(gw, gw.name === first ? undefined : first, mesh?.get(gw.name))]);
    }
    this.saveRunFile();
  }

  private async readyAll(hosts: HostHandle[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new HostFailedError(hosts.map((h) => h.name).join(', '), `not up within ${cliDefaults.hostStartTimeoutMs} ms`)),
        cliDefaults.hostStartTimeoutMs,
      );
    });
    try {
      await Promise.race([Promise.all(hosts.map((h) => h.ready)), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private describePlacement(): string {
    const threads = this.plan.hosts.filter((h) => this.placement(h) === 'thread').length;
    if (threads === 0) return 'processes';
    if (threads === this.plan.hosts.length) return 'threads';
    return `${threads} threads, ${this.plan.hosts.length - threads} processes`;
  }

  private hostPlan(name: string): HostPlan {
    const plan = this.plan.hosts.find((h) => h.name === name);
    if (plan === undefined) throw new HostFailedError(name, 'no such host in this cluster');
    return plan;
  }

  /** A live gateway other than `name` to join the ring through. */
  private joinViaFor(name: string): string | undefined {
    return this.plan.layout.groups.map((g) => g.gateway).find((gw) => gw !== name && this.live.has(gw));
  }

  /** Crashes a host (SIGKILL, or an abrupt thread terminate); it stays down until `restart`. */
  async crash(name: string): Promise<void> {
    const handle = this.hosts.get(name);
    this.hostPlan(name);
    this.held.add(name);
    if (handle === undefined || !this.live.has(name)) return;
    handle.kill();
    await handle.exited;
  }

  /** Starts a host that was crashed (or a late gateway); resolves once it serves. */
  async restart(name: string): Promise<void> {
    const plan = this.hostPlan(name);
    if (this.live.has(name)) throw new HostFailedError(name, 'is already running');
    this.held.delete(name);
    const handle = this.launch(plan, plan.role === 'gateway' ? this.joinViaFor(name) : undefined);
    await this.readyAll([handle]);
    const load = this.loads.get(name);
    if (load !== undefined) handle.send({ type: 'load', threads: load });
    this.saveRunFile();
  }

  /** A gateway (not on the ring) joins it. */
  joinGateway(name: string): Promise<void> {
    if (this.hostPlan(name).role !== 'gateway') return Promise.reject(new HostFailedError(name, 'is not a gateway'));
    return this.restart(name);
  }

  /** A gateway leaves the ring gracefully (its range moves to its successor's group), then stops. */
  async leaveGateway(name: string, timeoutMs: number = cliDefaults.hostStartTimeoutMs): Promise<void> {
    const handle = this.hosts.get(name);
    if (this.hostPlan(name).role !== 'gateway') throw new HostFailedError(name, 'is not a gateway');
    if (handle === undefined || !this.live.has(name)) throw new HostFailedError(name, 'is not running');
    this.held.add(name);
    handle.send({ type: 'leave' });
    let timer: NodeJS.Timeout | undefined;
    const settled = await Promise.race([
      handle.stopped.then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    await handle.stop(cliDefaults.hostStopTimeoutMs);
    if (!settled) throw new HostFailedError(name, `did not finish leaving within ${timeoutMs} ms (stopped)`);
  }

  /** Replaces every host's emulated links (host → peer → shape); hosts started later get theirs at start. */
  setLinks(links: Record<string, LinkTable>): void {
    this.links = links;
    for (const [name, handle] of this.hosts) if (this.live.has(name)) handle.send({ type: 'links', links: links[name] ?? {} });
  }

  /** Co-located load on an edge node (kept across its restarts). */
  setLoad(name: string, threads: number): void {
    if (this.hostPlan(name).role !== 'edge') throw new HostFailedError(name, 'co-located load applies to edge nodes');
    this.loads.set(name, threads);
    if (this.live.has(name)) this.hosts.get(name)!.send({ type: 'load', threads });
  }

  /** An edge node's counters; rejects when it is down or does not answer in time. */
  metrics(name: string, timeoutMs: number): Promise<EdgeNodeMetrics> {
    const handle = this.hosts.get(name);
    if (handle === undefined || !this.live.has(name)) return Promise.reject(new HostFailedError(name, 'is down'));
    return handle.metrics(timeoutMs);
  }

  isUp(name: string): boolean {
    return this.live.has(name);
  }

  private saveRunFile(): void {
    if (this.stopping !== undefined) return;
    updateRunFile(this.dataDir, { pid: process.pid, mode: this.mode, startedAt: new Date().toISOString(), hosts: this.pids() });
  }

  /** Supervisor (OTP one_for_one with a restart budget): a host that exits on its own is started again. */
  private async onExit(plan: HostPlan, handle: HostHandle, exit: HostExit): Promise<void> {
    if (this.stopping !== undefined || this.hosts.get(plan.name) !== handle || this.held.has(plan.name)) return;
    let wasReady = false;
    await handle.ready.then(
      () => (wasReady = true),
      () => undefined,
    );
    if (!wasReady) return; // a failed start is reported by whoever waits for it
    this.out(`${plan.name} stopped unexpectedly (${describeExit(exit)})`);
    if (this.options.restart === false) return;
    const now = Date.now();
    const recent = (this.restarts.get(plan.name) ?? []).filter((t) => now - t < cliDefaults.restartWindowMs);
    if (recent.length >= cliDefaults.maxRestarts) {
      this.out(`${plan.name} crashed ${recent.length} times within ${cliDefaults.restartWindowMs / 1000} s; leaving it down`);
      return;
    }
    this.restarts.set(plan.name, [...recent, now]);
    await sleep(cliDefaults.restartDelayMs);
    if (this.stopping !== undefined || this.held.has(plan.name)) return;
    const next = this.launch(plan, plan.role === 'gateway' ? this.joinViaFor(plan.name) : undefined);
    try {
      await this.readyAll([next]);
      this.out(`${plan.name} restarted (pid ${next.pid})`);
      this.saveRunFile();
    } catch (error) {
      this.out(`${plan.name} failed to restart: ${(error as Error).message}`);
      await next.stop(cliDefaults.hostStopTimeoutMs);
    }
  }
}
