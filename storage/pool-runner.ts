import { availableParallelism } from 'node:os';
import { PoolService } from '../runtime/pool.js';
import { PoolJobRunner, STORAGE_POOL_TASKS } from './job-runner.js';

/** A lease on the process's storage pools; `release()` once the engine using it has closed. */
export interface StoragePoolLease {
  runner: PoolJobRunner;
  release(): Promise<void>;
}

export interface SharedStoragePoolOptions {
  /** Merge threads; default cores − 1 (at least 1), leaving a core to the event loop (Raft, gRPC, actors). */
  mergeThreads?: number;
}

interface Shared {
  merge: PoolService;
  flush: PoolService;
  runner: PoolJobRunner;
  users: number;
}

let shared: Shared | undefined;

/**
 * The process's piscina pools for storage jobs, shared by every engine in the
 * process and closed when the last lease is released: merges on
 * `mergeThreads` threads, flushes on a thread of their own (RocksDB's
 * high-priority pool: a flush queued behind a long merge would hold the
 * memtable limit and stop writes). A deployment runs one edge node per
 * process, so it gets its own threads; tests and single-process clusters
 * running many nodes share them instead of starting threads per node. The
 * first lease's options decide the thread count.
 */
export function acquireStoragePool(options: SharedStoragePoolOptions = {}): StoragePoolLease {
  if (shared === undefined) {
    const mergeThreads = options.mergeThreads ?? Math.max(1, availableParallelism() - 1);
    const merge = new PoolService({ tasks: STORAGE_POOL_TASKS, maxThreads: mergeThreads });
    const flush = new PoolService({ tasks: STORAGE_POOL_TASKS, maxThreads: 1 });
    shared = { merge, flush, runner: new PoolJobRunner(merge, flush), users: 0 };
  }
  const s = shared;
  s.users++;
  let released = false;
  return {
    runner: s.runner,
    release: async () => {
      if (released) return;
      released = true;
      if (--s.users > 0) return;
      if (shared === s) shared = undefined;
      await Promise.all([s.merge.close(), s.flush.close()]);
    },
  };
}
