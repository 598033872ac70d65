import { Worker, type WorkerOptions } from 'node:worker_threads';

const bootUrl = new URL('./worker-boot.mjs', import.meta.url);

/**
 * Starts a worker thread that runs a TypeScript module. `entry` is the URL of
 * the module; `workerData` is passed through beside the entry.
 */
export function startTsWorker(entry: URL, options: WorkerOptions = {}): Worker {
  const data = (options.workerData ?? {}) as Record<string, unknown>;
  return new Worker(bootUrl, { ...options, workerData: { ...data, __entry: entry.href } });
}
