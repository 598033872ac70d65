import type { ActorRef } from '../../runtime/index.js';
import type { CompactionJobInput, CompactionJobOutput } from '../../storage/compaction-job.js';
import { CorruptionError } from '../../storage/errors.js';
import { EdgeKVError } from '../../runtime/errors.js';
import type { FlushJobInput, FlushJobOutput } from '../../storage/flush-job.js';
import type { StorageJobRunner } from '../../storage/job-runner.js';
import type { CompactionReply, CompactionRequest } from './messages.js';

/**
 * The engine's job runner when a compaction actor decides where merges run.
 * Flushes stay on this node (their input is the node's own memtable).
 */
export class ActorJobRunner implements StorageJobRunner {
  constructor(
    private readonly compaction: ActorRef<CompactionRequest>,
    private readonly localFlush: StorageJobRunner,
    private readonly timeoutMs = 10 * 60_000,
  ) {}

  flush(input: FlushJobInput): Promise<FlushJobOutput> {
    return this.localFlush.flush(input);
  }

  async compact(input: CompactionJobInput): Promise<CompactionJobOutput> {
    const r = await this.compaction.ask<CompactionReply>({ type: 'compact', input }, { timeoutMs: this.timeoutMs });
    if (r.ok && r.type === 'output') return r.output;
    if (!r.ok) throw r.code === 'CORRUPTION' ? new CorruptionError(r.message) : new EdgeKVError(r.code, r.message);
    throw new EdgeKVError('UNEXPECTED_REPLY', `compaction actor answered ${r.type}`);
  }
}
