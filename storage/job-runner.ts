import { EdgeKVError } from '../runtime/errors.js';
import type { PoolService } from '../runtime/pool.js';
import { runCompactionJob, type CompactionJobInput, type CompactionJobOutput } from './compaction-job.js';
import { CorruptionError } from './errors.js';
import { runFlushJob, type FlushJobInput, type FlushJobOutput } from './flush-job.js';
import type { TaskResult } from './flush-task.js';

/**
 * Where the engine's CPU jobs run: inline (tests, the simulator), on the local
 * piscina pool, or elsewhere (the compaction actor can send merges to another node).
 */
export interface StorageJobRunner {
  flush(input: FlushJobInput): Promise<FlushJobOutput>;
  compact(input: CompactionJobInput): Promise<CompactionJobOutput>;
}

export class InlineJobRunner implements StorageJobRunner {
  async flush(input: FlushJobInput): Promise<FlushJobOutput> {
    return runFlushJob(input);
  }
  async compact(input: CompactionJobInput): Promise<CompactionJobOutput> {
    return runCompactionJob(input);
  }
}

/** Task names and modules to register with a PoolService that serves the engine. */
export const STORAGE_POOL_TASKS = {
  'lsm-flush': new URL('./flush-task.ts', import.meta.url),
  'lsm-compaction': new URL('./compaction-task.ts', import.meta.url),
};

function unwrap<T>(r: TaskResult<T>): T {
  if (r.ok) return r.value;
  if (r.code === 'CORRUPTION') throw new CorruptionError(r.message);
  throw new EdgeKVError(r.code, r.message);
}

/** The ArrayBuffers behind job inputs that can be moved to the worker (the engine drops them after). */
function buffersOf(arrays: readonly Uint8Array[]): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const a of arrays) {
    if (!(a.buffer instanceof ArrayBuffer)) continue;
    // Never transfer Node's shared 8 KiB allocation pool: other Buffers live in it.
    if (a.buffer.byteLength > Buffer.poolSize || (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength)) seen.add(a.buffer);
  }
  return [...seen];
}

/**
 * Runs jobs on piscina pools. Flushes may get a pool of their own (RocksDB's
 * high-priority pool): queued behind a long merge, a flush would hold the
 * memtable limit and stop writes.
 */
export class PoolJobRunner implements StorageJobRunner {
  private readonly flushPool: PoolService;

  constructor(private readonly pool: PoolService, flushPool?: PoolService) {
    this.flushPool = flushPool ?? pool;
  }

  async flush(input: FlushJobInput): Promise<FlushJobOutput> {
    // Arena chunks are copied (the memtable still serves reads); the index is moved.
    const transfer = input.index.buffer instanceof ArrayBuffer ? [input.index.buffer] : [];
    return unwrap(await this.flushPool.run<FlushJobInput, TaskResult<FlushJobOutput>>('lsm-flush', input, transfer));
  }

  async compact(input: CompactionJobInput): Promise<CompactionJobOutput> {
    return unwrap(
      await this.pool.run<CompactionJobInput, TaskResult<CompactionJobOutput>>('lsm-compaction', input, buffersOf(input.inputs)),
    );
  }
}
