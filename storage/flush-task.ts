import { EdgeKVError } from '../runtime/errors.js';
import { runFlushJob, type FlushJobInput, type FlushJobOutput } from './flush-job.js';

export type TaskResult<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

/** Piscina task for flushes; typed errors travel as values because classes do not cross threads. */
export default async function flushTask(input: FlushJobInput): Promise<TaskResult<FlushJobOutput>> {
  try {
    return { ok: true, value: runFlushJob(input) };
  } catch (e) {
    if (e instanceof EdgeKVError) return { ok: false, code: e.code, message: e.message };
    throw e;
  }
}

export function transferList(out: TaskResult<FlushJobOutput>): ArrayBuffer[] {
  return out.ok ? [out.value.bytes.buffer as ArrayBuffer] : [];
}
