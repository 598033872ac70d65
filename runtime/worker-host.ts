import * as Comlink from 'comlink';
import { MessageChannel, type MessagePort, type Worker, type ResourceLimits } from 'node:worker_threads';
import { ActorRef } from './actor-ref.js';
import { checkName } from './address.js';
import { EdgeKVError } from './errors.js';
import type { LogLevel } from './logger.js';
import type { Router } from './router.js';
import { startTsWorker } from './ts-worker.js';
import { portEndpoint, type SpawnSpec, type WorkerControl, type WorkerStats } from './worker-control.js';
import { WorkerLink } from './worker-link.js';
import type { WorkerBootData } from './worker-main.js';

export interface WorkerHostOptions {
  /** The parent thread's router: the worker's system becomes reachable through it. */
  router: Router;
  /** The worker's system is named `<parent system>.<name>`. */
  name: string;
  logLevel?: LogLevel;
  resourceLimits?: ResourceLimits;
}

const workerEntry = new URL('./worker-main.ts', import.meta.url);

/**
 * A long-lived worker thread running its own actor system, many actors per
 * thread. Data plane: a WorkerLink (msgpackr batches over a MessagePort).
 * Control plane: comlink over a second port (spawn, stop, stats, connect).
 */
export class WorkerHost {
  private readonly control: Comlink.Remote<WorkerControl>;
  private readonly link: WorkerLink;
  private terminating: Promise<void> | undefined;
  /** Settles with the thread's exit code. */
  readonly exited: Promise<number>;

  private constructor(
    private readonly router: Router,
    readonly systemName: string,
    private readonly worker: Worker,
    dataPort: MessagePort,
    private readonly controlPort: MessagePort,
  ) {
    this.link = new WorkerLink(router, dataPort, `worker ${systemName}`);
    router.addRoute(systemName, this.link);
    this.control = Comlink.wrap<WorkerControl>(portEndpoint(controlPort));
    worker.on('error', (error) => {
      router.system.log.log('error', 'worker thread failed', { worker: systemName, error: String(error) });
    });
    this.exited = new Promise((resolve) => {
      worker.once('exit', (code) => {
        router.removeRoute(systemName, this.link);
        this.link.close();
        controlPort.close();
        resolve(code);
      });
    });
  }

  /** Starts the thread and resolves once its actor system is up. */
  static async start(options: WorkerHostOptions): Promise<WorkerHost> {
    checkName('worker', options.name);
    const systemName = `${options.router.system.name}.${options.name}`;
    if (options.router.hasRoute(systemName)) {
      throw new EdgeKVError('WORKER_EXISTS', `a route to ${systemName} already exists; pick another worker name`);
    }
    const data = new MessageChannel();
    const control = new MessageChannel();
    const bootData: WorkerBootData = { systemName, dataPort: data.port2, controlPort: control.port2, logLevel: options.logLevel };
    const worker = startTsWorker(workerEntry, {
      workerData: bootData,
      transferList: [data.port2, control.port2],
      resourceLimits: options.resourceLimits,
    });
    const host = new WorkerHost(options.router, systemName, worker, data.port1, control.port1);
    const failed = new Promise<never>((_, reject) => {
      worker.once('error', (error) => reject(new EdgeKVError('WORKER_FAILED', `worker ${systemName} failed to start: ${error.message}`)));
      worker.once('exit', (code) => reject(new EdgeKVError('WORKER_FAILED', `worker ${systemName} exited with code ${code} while starting`)));
    });
    failed.catch(() => undefined);
    await Promise.race([host.control.ping(), failed]);
    return host;
  }

  /** A ref, bound to the parent system, to the actor at `path` in this worker. */
  ref<M = unknown>(path: string): ActorRef<M> {
    return new ActorRef<M>(this.router.system, { system: this.systemName, path });
  }

  /** Spawns a top-level actor in the worker from the factory `spec` names. */
  async spawn<M = unknown>(spec: SpawnSpec, name: string): Promise<ActorRef<M>> {
    const address = await this.call(() => this.control.spawn(spec, name));
    return new ActorRef<M>(this.router.system, address);
  }

  async stop(name: string): Promise<void> {
    await this.call(() => this.control.stop(name));
  }

  async stats(): Promise<WorkerStats> {
    return await this.call(() => this.control.stats());
  }

  /** A control call that fails, rather than hangs, once the thread is gone (comlink alone would wait forever). */
  private call<T>(request: () => Promise<T>): Promise<T> {
    const gone = this.exited.then((code): never => {
      throw new EdgeKVError('WORKER_EXITED', `worker ${this.systemName} has exited (code ${code})`);
    });
    return Promise.race([request(), gone]);
  }

  /** Gives two workers a direct MessageChannel so their traffic does not hop through this thread. */
  static async connect(a: WorkerHost, b: WorkerHost): Promise<void> {
    const channel = new MessageChannel();
    await Promise.all([
      a.call(() => a.control.connect(Comlink.transfer(channel.port1, [channel.port1]), b.systemName)),
      b.call(() => b.control.connect(Comlink.transfer(channel.port2, [channel.port2]), a.systemName)),
    ]);
  }

  /** Stops the worker's actors, then the thread. Idempotent. */
  terminate(): Promise<void> {
    this.terminating ??= (async () => {
      try {
        await Promise.race([this.control.shutdown(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      } catch {
        // The thread may already be gone; terminating it below is all that is left to do.
      }
      await this.worker.terminate();
      await this.exited;
    })();
    return this.terminating;
  }
}
