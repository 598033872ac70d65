// One edge node or gateway in its own actor system, wired to its peers, with
// the gRPC API in front of an edge node. Runs the same in a worker thread and
// in a child process; only the wiring differs.
import { join } from 'node:path';
import type { BootEdgeNode, BootGateway, EdgeNodeHandle, EdgeNodeMetrics, GatewayHandle } from '../../actors/edge/contract.js';
import { ApiServer } from '../../api/server.js';
import { ActorSystem } from '../../runtime/actor-system.js';
import { ConsoleLogger, type Logger, type LogFields, type LogLevel } from '../../runtime/logger.js';
import { Router } from '../../runtime/router.js';
import { cliDefaults } from '../defaults.js';
import { HostFailedError } from '../errors.js';
import { applyLinks } from './host-links.js';
import type { HostSpec, LinkTable } from './host-protocol.js';

export interface BootModule {
  bootEdgeNode: BootEdgeNode;
  bootGateway: BootGateway;
}

/** Connects the host's router to its peers; returns how to disconnect. */
export type Wire = (router: Router) => Promise<() => Promise<void>>;

export async function loadBootModule(url: string): Promise<BootModule> {
  let loaded: Partial<BootModule>;
  try {
    loaded = (await import(url)) as Partial<BootModule>;
  } catch (error) {
    throw new HostFailedError('boot', `cannot load the edge node module ${url}: ${(error as Error).message}`);
  }
  if (typeof loaded.bootEdgeNode !== 'function' || typeof loaded.bootGateway !== 'function') {
    throw new HostFailedError('boot', `${url} does not export bootEdgeNode and bootGateway (see actors/edge/contract.ts)`);
  }
  return loaded as BootModule;
}

/** The host's logger; once the host stops, peers going away is expected, so only errors are still worth a line. */
class HostLogger implements Logger {
  private stopping = false;
  constructor(private readonly inner: Logger) {}
  log(level: LogLevel, message: string, fields?: LogFields): void {
    if (this.stopping && level !== 'error') return;
    this.inner.log(level, message, fields);
  }
  quiet(): void {
    this.stopping = true;
  }
}

export class RunningHost {
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly logger: HostLogger,
    readonly system: ActorSystem,
    private readonly router: Router,
    private readonly disconnect: () => Promise<void>,
    private readonly node: { role: 'edge'; handle: EdgeNodeHandle } | { role: 'gateway'; handle: GatewayHandle },
    private readonly api: ApiServer | undefined,
  ) {}

  /** Replaces the emulated links from this host (topologies). */
  setLinks(links: LinkTable): void {
    applyLinks(this.router, links);
  }

  /** Edge nodes: co-located load in busy cores. */
  setLoad(threads: number): void {
    if (this.node.role !== 'edge') throw new HostFailedError(this.system.name, 'co-located load applies to edge nodes, not gateways');
    this.node.handle.setLoad(threads);
  }

  metrics(): Promise<EdgeNodeMetrics> {
    if (this.node.role !== 'edge') return Promise.reject(new HostFailedError(this.system.name, 'a gateway has no node metrics'));
    return this.node.handle.metrics();
  }

  /** Gateways: a graceful leave (the range moves to the successor's group), then stop. */
  async leave(): Promise<void> {
    if (this.node.role !== 'gateway') throw new HostFailedError(this.system.name, 'only a gateway can leave the ring');
    await this.node.handle.leave();
    await this.stop();
  }

  get apiPort(): number | undefined {
    return this.api?.port;
  }

  static async start(spec: HostSpec, wire: Wire): Promise<RunningHost> {
    const { plan } = spec;
    const logger = new HostLogger(new ConsoleLogger(plan.name, spec.logLevel));
    const system = new ActorSystem({ name: plan.name, logger });
    const router = new Router(system);
    let disconnect: (() => Promise<void>) | undefined;
    try {
      disconnect = await wire(router);
      if (spec.links !== undefined) applyLinks(router, spec.links);
      const boot = await loadBootModule(spec.bootModule);
      if (plan.role === 'gateway') {
        const gateway = await boot.bootGateway(system, { name: plan.name, layout: spec.layout, joinVia: spec.joinVia });
        return new RunningHost(logger, system, router, disconnect, { role: 'gateway', handle: gateway }, undefined);
      }
      const node = await boot.bootEdgeNode(system, {
        name: plan.name,
        layout: spec.layout,
        dataDir: join(spec.dataDir, plan.name),
        ...(spec.pilot !== undefined ? { pilot: spec.pilot } : {}),
        ...(spec.lsm !== undefined ? { lsm: spec.lsm } : {}),
      });
      const api = new ApiServer(node, system.log);
      try {
        await api.listen(spec.bindHost, plan.apiPort);
      } catch (error) {
        await node.close();
        throw new HostFailedError(plan.name, `cannot serve gRPC on ${spec.bindHost}:${plan.apiPort}: ${(error as Error).message}`);
      }
      return new RunningHost(logger, system, router, disconnect, { role: 'edge', handle: node }, api);
    } catch (error) {
      await disconnect?.().catch(() => undefined);
      system.terminate();
      throw error;
    }
  }

  /** API first (no new calls), then the node, then the links. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.quiet();
      await this.api?.close(cliDefaults.apiCloseGraceMs);
      try {
        await this.node.handle.close();
      } finally {
        await this.disconnect();
        this.system.terminate();
      }
    })();
    return this.stopping;
  }
}
