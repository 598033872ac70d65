import { EdgeKVError } from '../runtime/errors.js';
import { runCompactionJob, type CompactionJobInput, type CompactionJobOutput } from './compaction-job.js';
import type { TaskResult } from './flush-task.js';

/** Piscina task for merges; typed errors travel as values because classes do not cross threads. */
export default async function compactionTask(input: CompactionJobInput): Promise<TaskResult<CompactionJobOutput>> {
  try {
    return { ok: true, value: runCompactionJob(input) };
  } catch (e) {
    if (e instanceof EdgeKVError) return { ok: false, code: e.code, message: e.message };
    throw e;
  }
}

/** Output tables are moved back to the caller instead of copied. */
export function transferList(out: TaskResult<CompactionJobOutput>): ArrayBuffer[] {
  return out.ok ? out.value.tables.map((t) => t.bytes.buffer as ArrayBuffer) : [];
}
