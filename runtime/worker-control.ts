import type { Endpoint } from 'comlink';
import type { MessagePort } from 'node:worker_threads';
import type { Props } from './actor.js';
import type { ActorSystem, SystemStats } from './actor-system.js';
import type { Address } from './address.js';
import { EdgeKVError, InvalidArgumentError } from './errors.js';
import type { Router, RouterStats } from './router.js';
import { WorkerLink } from './worker-link.js';

/**
 * What to run in a worker: functions cannot cross threads, so a spawn names a
 * module (its URL, e.g. `new URL('./actors.ts', import.meta.url).href`) and one
 * of its exports, a factory `(args) => Props`. `args` must be
 * structured-cloneable.
 */
export interface SpawnSpec {
  module: string;
  factory: string;
  args?: unknown;
}

/** The shape of a factory a SpawnSpec names. */
export type ActorFactory<A = unknown, M = unknown> = (args: A) => Props<M>;

export interface WorkerStats extends SystemStats {
  router: RouterStats;
}

/** The control plane of a worker, served over comlink (never used for per-message traffic). */
export interface WorkerControl {
  /** Answers once the worker has booted; returns its actor system's name. */
  ping(): string;
  spawn(spec: SpawnSpec, name: string): Promise<Address>;
  stop(name: string): void;
  stats(): WorkerStats;
  /** Adopts `port` as a direct link to the sibling worker whose system is `peerSystem`. */
  connect(port: MessagePort, peerSystem: string): void;
  /** Terminates the actor system and closes its links. */
  shutdown(): void;
}

/** Adapts a worker_threads MessagePort to comlink's Endpoint (comlink speaks DOM events). */
export function portEndpoint(port: MessagePort): Endpoint {
  type Listener = Parameters<Endpoint['addEventListener']>[1];
  const adapters = new Map<Listener, (data: unknown) => void>();
  return {
    postMessage(message: unknown, transfer?: readonly unknown[]) {
      port.postMessage(message, transfer as Parameters<MessagePort['postMessage']>[1]);
    },
    addEventListener(_type: string, listener: Listener) {
      const adapter = (data: unknown): void => {
        const event = { data } as unknown as Parameters<Extract<Listener, (...args: never[]) => unknown>>[0];
        if (typeof listener === 'function') listener(event);
        else listener.handleEvent(event);
      };
      adapters.set(listener, adapter);
      port.on('message', adapter);
    },
    removeEventListener(_type: string, listener: Listener) {
      const adapter = adapters.get(listener);
      if (adapter === undefined) return;
      port.off('message', adapter);
      adapters.delete(listener);
    },
    start: () => port.start(),
  };
}

/** The worker side of the control plane. */
export class WorkerControlService implements WorkerControl {
  constructor(
    private readonly system: ActorSystem,
    private readonly router: Router,
  ) {}

  ping(): string {
    return this.system.name;
  }

  async spawn(spec: SpawnSpec, name: string): Promise<Address> {
    if (typeof spec?.module !== 'string' || typeof spec.factory !== 'string') {
      throw new InvalidArgumentError('a spawn spec needs { module: string, factory: string }');
    }
    let module: Record<string, unknown>;
    try {
      module = (await import(spec.module)) as Record<string, unknown>;
    } catch (error) {
      throw new EdgeKVError('SPAWN_FAILED', `cannot import ${spec.module}: ${(error as Error).message}`);
    }
    const factory = module[spec.factory];
    if (typeof factory !== 'function') {
      throw new EdgeKVError('SPAWN_FAILED', `${spec.module} has no exported factory function "${spec.factory}"`);
    }
    const props = (factory as ActorFactory)(spec.args);
    return this.system.spawn(props, name).address;
  }

  stop(name: string): void {
    this.system.stop(this.system.ref(name));
  }

  stats(): WorkerStats {
    return { ...this.system.stats(), router: this.router.stats() };
  }

  connect(port: MessagePort, peerSystem: string): void {
    this.router.addRoute(peerSystem, new WorkerLink(this.router, port, `worker ${peerSystem}`));
  }

  shutdown(): void {
    this.system.terminate();
    this.router.close();
  }
}
