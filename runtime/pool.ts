import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';

const workerUrl = new URL('./pool-worker.mjs', import.meta.url);

export interface PoolServiceOptions {
  /** Task name to the URL of a module whose default export runs the task. */
  tasks: Record<string, URL>;
  /** Worker threads; default: cores - 1 (at least 1), leaving a core to the event loop. */
  maxThreads?: number;
  minThreads?: number;
  idleTimeoutMs?: number;
}

export interface PoolStats {
  completed: number;
  queued: number;
  threads: number;
  /** Fraction of the pool's capacity used since start (piscina's utilization). */
  utilization: number;
}

/** A task name the pool was not configured with. */
export class UnknownTaskError extends Error {
  constructor(readonly taskName: string) {
    super(`pool has no task named "${taskName}"`);
  }
}

/**
 * Runs stateless CPU jobs (merges, checksums, filters) on a piscina pool.
 * Inputs in `transferList` are moved to the worker, not copied; outputs come
 * back moved the same way when the task module names them.
 */
export class PoolService {
  private readonly pool: Piscina;
  private readonly tasks: Map<string, string>;

  constructor(options: PoolServiceOptions) {
    this.tasks = new Map(Object.entries(options.tasks).map(([k, v]) => [k, v.href]));
    const maxThreads = options.maxThreads ?? Math.max(1, availableParallelism() - 1);
    this.pool = new Piscina({
      filename: workerUrl.href,
      maxThreads,
      minThreads: Math.min(options.minThreads ?? 0, maxThreads),
      idleTimeout: options.idleTimeoutMs ?? 30_000,
    });
  }

  async run<I, O>(taskName: string, input: I, transferList: ArrayBuffer[] = []): Promise<O> {
    const module = this.tasks.get(taskName);
    if (module === undefined) throw new UnknownTaskError(taskName);
    return (await this.pool.run({ module, input }, { transferList })) as O;
  }

  /**
   * Starts every thread and loads `taskName`'s module in each by running it
   * with `input` once per thread, so the first real jobs do not pay for
   * thread start and module compilation (benchmarks call this before timing).
   */
  async warmUp<I>(taskName: string, input: I): Promise<void> {
    const n = this.pool.options.maxThreads;
    await Promise.all(Array.from({ length: n }, () => this.run(taskName, input)));
  }

  stats(): PoolStats {
    return {
      completed: this.pool.completed,
      queued: this.pool.queueSize,
      threads: this.pool.threads.length,
      utilization: this.pool.utilization,
    };
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
