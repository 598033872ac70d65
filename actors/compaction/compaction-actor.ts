import type { Actor, ActorContext, ActorRef, Props } from '../../runtime/index.js';
import { EdgeKVError } from '../../runtime/errors.js';
import type { CompactionJobInput, CompactionJobOutput } from '../../storage/compaction-job.js';
import type { StorageJobRunner } from '../../storage/job-runner.js';
import type { CompactionReply, CompactionRequest, CompactionStats } from './messages.js';

/** Decides where a merge runs: here, or on another node's compaction actor (EdgePilot's decision). */
export type CompactionPlacement = (input: CompactionJobInput) => ActorRef<CompactionRequest> | 'local' | Promise<ActorRef<CompactionRequest> | 'local'>;

export interface CompactionActorOptions {
  /** Runs merges on this node (a PoolJobRunner in production). */
  local: StorageJobRunner;
  placement?: CompactionPlacement;
  /** A remote merge not answered within this time is redone locally. */
  remoteTimeoutMs?: number;
}

const DEFAULT_REMOTE_TIMEOUT_MS = 60_000;

function failure(e: unknown): CompactionReply {
  if (e instanceof EdgeKVError) return { ok: false, code: e.code, message: e.message };
  return { ok: false, code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

/**
 * Runs the engine's merge jobs. The job is pure (SSTable bytes in, bytes out),
 * so it may run on another node; the engine installs the output once, when
 * this actor answers. A remote attempt that fails or times out is redone
 * locally, and its late answer is dropped: nothing is lost or installed twice.
 */
export class CompactionActor implements Actor<CompactionRequest> {
  private readonly stats: CompactionStats = { localJobs: 0, remoteJobs: 0, remoteFallbacks: 0, servedForOthers: 0, inputBytes: 0, outputBytes: 0 };

  constructor(private readonly options: CompactionActorOptions) {}

  receive(m: CompactionRequest, ctx: ActorContext<CompactionRequest>): void {
    const sender = ctx.sender;
    const answer = (r: CompactionReply) => sender?.tell(r, ctx.self as ActorRef<unknown>);
    switch (m.type) {
      case 'stats':
        answer({ ok: true, type: 'stats', stats: { ...this.stats } });
        return;
      case 'run-job':
        this.stats.servedForOthers++;
        this.runLocal(m.input).then((output) => answer({ ok: true, type: 'output', output, ranOn: ctx.self.toString() }), (e: unknown) => answer(failure(e)));
        return;
      case 'compact':
        // Not awaited: several merges may be in flight (the engine bounds how many).
        this.place(m.input, ctx).then(answer, (e: unknown) => answer(failure(e)));
        return;
    }
  }

  private async runLocal(input: CompactionJobInput): Promise<CompactionJobOutput> {
    for (const b of input.inputs) this.stats.inputBytes += b.byteLength;
    const out = await this.options.local.compact(input);
    for (const t of out.tables) this.stats.outputBytes += t.bytes.byteLength;
    return out;
  }

  private async place(input: CompactionJobInput, ctx: ActorContext<CompactionRequest>): Promise<CompactionReply> {
    const target = this.options.placement === undefined ? 'local' : await this.options.placement(input);
    if (target !== 'local') {
      // Keep a copy: a local retry needs the inputs even if the transport moved them.
      const copy: CompactionJobInput = { ...input, inputs: input.inputs.map((b) => Uint8Array.from(b)) };
      try {
        const r = await target.ask<CompactionReply>({ type: 'run-job', input }, { timeoutMs: this.options.remoteTimeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS });
        if (r.ok && r.type === 'output') {
          this.stats.remoteJobs++;
          return r;
        }
      } catch {
        // Timed out or unreachable: fall through to a local run.
      }
      this.stats.remoteFallbacks++;
      input = copy;
    }
    this.stats.localJobs++;
    const output = await this.runLocal(input);
    return { ok: true, type: 'output', output, ranOn: ctx.self.toString() };
  }
}

export function compactionActorProps(options: CompactionActorOptions): Props<CompactionRequest> {
  return { create: () => new CompactionActor(options) };
}
