import { crc32 } from 'node:zlib';
import type { Actor, ActorContext, ActorRef, Props } from '../../runtime/index.js';
import type { Clock } from '../../runtime/clock.js';
import { EdgeKVError } from '../../runtime/errors.js';
import type { CompactionJobInput, CompactionJobOutput } from '../../storage/compaction-job.js';
import type { StorageJobRunner } from '../../storage/job-runner.js';
import { bufferSource, SSTableReader } from '../../storage/sstable-reader.js';
import type { CompactionReply, CompactionRequest, CompactionStats, FallbackReason } from './messages.js';

/** Where a merge runs, with what the scheduler predicted and how long to wait for it. */
export interface RemotePlacement {
  target: ActorRef<CompactionRequest>;
  /** The target's node name (for records and stats). */
  targetNode: string;
  /** Deadline for the remote answer; past it the merge is redone here. */
  timeoutMs?: number;
  /** Model's predicted offloaded time (CTO), for prediction-vs-actual metrics. */
  predictedMs?: number;
}

export interface LocalPlacement {
  local: true;
  /** Model's predicted local time (CTL), if a scheduler decided. */
  predictedMs?: number;
}

/** Decides where a merge runs: here, or on another node's compaction actor (EdgePilot's decision). */
export type CompactionPlacement = (
  input: CompactionJobInput,
) => ActorRef<CompactionRequest> | 'local' | RemotePlacement | LocalPlacement | Promise<ActorRef<CompactionRequest> | 'local' | RemotePlacement | LocalPlacement>;

/** One finished merge as the monitor reports it (EDGECODE's training data). */
export interface CompactionEvent {
  owner: string;
  ranOn: string;
  inputBytes: number;
  outputBytes: number;
  computeMs: number;
  /** Time to move inputs and outputs: 0 locally (the engine read them already), the round trip minus compute remotely. */
  transferMs: number;
  totalMs: number;
  outcome: 'local' | 'remote' | 'fallback';
  fallbackReason?: FallbackReason;
}

/** A runner that can say how long the merge took on this node's (emulated) CPU. */
interface TimedRunner extends StorageJobRunner {
  compactTimed(input: CompactionJobInput, forOther?: boolean): Promise<{ output: CompactionJobOutput; computeMs: number; waitMs?: number }>;
}

function isTimed(r: StorageJobRunner): r is TimedRunner {
  return typeof (r as Partial<TimedRunner>).compactTimed === 'function';
}

export interface CompactionActorOptions {
  /** Runs merges on this node (a PoolJobRunner in production, an EmulatedTier in benchmarks). */
  local: StorageJobRunner;
  /** This node's name, as records and peers know it. */
  node?: string;
  placement?: CompactionPlacement;
  /** A remote merge not answered within this time is redone locally (unless placement gives a deadline). */
  remoteTimeoutMs?: number;
  /** May this node take a merge for another one now? (EdgePilot: only with a free core.) */
  admitRemote?: () => boolean;
  /** Emulated network: ms to move `bytes` one way between nodes (0 when absent). */
  networkDelayMs?: (bytes: number) => number;
  /** Every finished merge of this node's data, wherever it ran. */
  onRecord?: (event: CompactionEvent) => void;
}

const DEFAULT_REMOTE_TIMEOUT_MS = 60_000;
const MAX_PREDICTIONS = 256;

export class RemoteOutputCorruptError extends EdgeKVError {
  constructor(readonly from: string, detail: string) {
    super('CORRUPTION', `merge output from ${from} failed verification (${detail}); redoing the merge locally`);
  }
}

export class TargetBusyError extends EdgeKVError {
  constructor(readonly node: string) {
    super('BUSY', `node ${node} has no free core for another node's merge; run it locally or elsewhere`);
  }
}

function failure(e: unknown): CompactionReply {
  if (e instanceof EdgeKVError) return { ok: false, code: e.code, message: e.message };
  return { ok: false, code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

function sleep(clock: Clock, ms: number): Promise<void> {
  if (!(ms > 0)) return Promise.resolve();
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

function checksumsOf(out: CompactionJobOutput): number[] {
  return out.tables.map((t) => crc32(t.bytes) >>> 0);
}

/** Checks a remote answer before the engine may install it: per-table CRC from the target, then each table's own block checksums. */
function verifyRemote(from: string, out: CompactionJobOutput, checksums: number[] | undefined): void {
  if (checksums === undefined || checksums.length !== out.tables.length) throw new RemoteOutputCorruptError(from, 'missing or mismatched checksums');
  for (const [i, t] of out.tables.entries()) {
    if (crc32(t.bytes) >>> 0 !== checksums[i]) throw new RemoteOutputCorruptError(from, `table ${i} CRC mismatch`);
    try {
      const buf = Buffer.from(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
      SSTableReader.open(bufferSource(buf), i, `remote output #${i}`);
    } catch (e) {
      throw new RemoteOutputCorruptError(from, `table ${i}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/**
 * Runs the engine's merge jobs. The job is pure (SSTable bytes in, bytes out),
 * so it may run on another node; the engine installs the output once, when
 * this actor answers. A remote attempt that fails, times out, is refused or
 * returns output that fails verification is redone locally, and a late answer
 * is dropped: nothing is lost or installed twice.
 */
export class CompactionActor implements Actor<CompactionRequest> {
  private readonly stats: CompactionStats = {
    localJobs: 0,
    remoteJobs: 0,
    remoteFallbacks: 0,
    fallbacksByReason: { timeout: 0, error: 0, corrupt: 0, busy: 0 },
    servedForOthers: 0,
    rejectedBusy: 0,
    inputBytes: 0,
    outputBytes: 0,
    bytesSent: 0,
    bytesReceived: 0,
    predictions: [],
  };

  constructor(private readonly options: CompactionActorOptions) {}

  receive(m: CompactionRequest, ctx: ActorContext<CompactionRequest>): void {
    const sender = ctx.sender;
    const answer = (r: CompactionReply) => sender?.tell(r, ctx.self as ActorRef<unknown>);
    switch (m.type) {
      case 'stats':
        answer({ ok: true, type: 'stats', stats: { ...this.stats, fallbacksByReason: { ...this.stats.fallbacksByReason }, predictions: [...this.stats.predictions] } });
        return;
      case 'run-job': {
        const me = this.nodeName(ctx);
        if (this.options.admitRemote !== undefined && !this.options.admitRemote()) {
          this.stats.rejectedBusy++;
          answer(failure(new TargetBusyError(me)));
          return;
        }
        this.stats.servedForOthers++;
        this.runLocal(m.input, true).then(
          ({ output, computeMs, waitMs }) =>
            answer({ ok: true, type: 'output', output, ranOn: me, computeMs, ...(waitMs !== undefined ? { waitMs } : {}), checksums: checksumsOf(output) }),
          (e: unknown) => answer(failure(e)),
        );
        return;
      }
      case 'compact':
        // Not awaited: several merges may be in flight (the engine bounds how many).
        this.place(m.input, ctx).then(answer, (e: unknown) => answer(failure(e)));
        return;
    }
  }

  private nodeName(ctx: ActorContext<CompactionRequest>): string {
    return this.options.node ?? ctx.self.toString();
  }

  private async runLocal(input: CompactionJobInput, forOther = false): Promise<{ output: CompactionJobOutput; computeMs: number; waitMs?: number }> {
    for (const b of input.inputs) this.stats.inputBytes += b.byteLength;
    let r: { output: CompactionJobOutput; computeMs: number; waitMs?: number };
    if (isTimed(this.options.local)) {
      r = await this.options.local.compactTimed(input, forOther);
    } else {
      const t0 = performance.now();
      const output = await this.options.local.compact(input);
      r = { output, computeMs: performance.now() - t0 };
    }
    for (const t of r.output.tables) this.stats.outputBytes += t.bytes.byteLength;
    return r;
  }

  private predicted(ranOn: string, inputBytes: number, predictedMs: number | undefined, actualMs: number): void {
    if (predictedMs === undefined) return;
    this.stats.predictions.push({ ranOn, inputBytes, predictedMs, actualMs });
    if (this.stats.predictions.length > MAX_PREDICTIONS) this.stats.predictions.shift();
  }

  private async place(input: CompactionJobInput, ctx: ActorContext<CompactionRequest>): Promise<CompactionReply> {
    const me = this.nodeName(ctx);
    const clock = ctx.clock;
    let inputBytes = 0;
    for (const b of input.inputs) inputBytes += b.byteLength;
    let placed: Awaited<ReturnType<CompactionPlacement>> = 'local';
    try {
      placed = this.options.placement === undefined ? 'local' : await this.options.placement(input);
    } catch {
      placed = 'local'; // A placement that cannot decide never blocks a merge.
    }
    let localPrediction: number | undefined;
    let fallbackReason: FallbackReason | undefined;
    if (placed !== 'local' && !('local' in placed)) {
      const remote: RemotePlacement = 'target' in placed ? placed : { target: placed, targetNode: placed.toString() };
      // Keep a copy: a local retry needs the inputs even if the transport or the target's pool moved them.
      const copy: CompactionJobInput = { ...input, inputs: input.inputs.map((b) => Uint8Array.from(b)) };
      const t0 = clock.now();
      try {
        await sleep(clock, this.options.networkDelayMs?.(inputBytes) ?? 0);
        this.stats.bytesSent += inputBytes;
        const timeoutMs = remote.timeoutMs ?? this.options.remoteTimeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS;
        const r = await remote.target.ask<CompactionReply>({ type: 'run-job', input, owner: me }, { timeoutMs });
        if (r.ok && r.type === 'output') {
          let outputBytes = 0;
          for (const t of r.output.tables) outputBytes += t.bytes.byteLength;
          this.stats.bytesReceived += outputBytes;
          await sleep(clock, this.options.networkDelayMs?.(outputBytes) ?? 0);
          verifyRemote(remote.targetNode, r.output, r.checksums);
          const totalMs = clock.now() - t0;
          const computeMs = Math.min(totalMs, r.computeMs ?? totalMs);
          // Waiting at the target for a core is neither compute nor transfer (the local path does not record it either).
          const waitMs = Math.min(totalMs - computeMs, r.waitMs ?? 0);
          this.stats.remoteJobs++;
          this.predicted(remote.targetNode, inputBytes, remote.predictedMs, totalMs);
          this.options.onRecord?.({
            owner: me,
            ranOn: remote.targetNode,
            inputBytes,
            outputBytes,
            computeMs,
            transferMs: totalMs - computeMs - waitMs,
            totalMs,
            outcome: 'remote',
          });
          return { ...r, ranOn: remote.targetNode };
        }
        fallbackReason = !r.ok && r.code === 'BUSY' ? 'busy' : 'error';
      } catch (e) {
        fallbackReason = e instanceof RemoteOutputCorruptError ? 'corrupt' : e instanceof EdgeKVError && e.code === 'ASK_TIMEOUT' ? 'timeout' : 'error';
      }
      this.stats.remoteFallbacks++;
      this.stats.fallbacksByReason[fallbackReason]++;
      input = copy;
    } else if (placed !== 'local') {
      localPrediction = placed.predictedMs;
    }
    this.stats.localJobs++;
    const t0 = clock.now();
    const { output, computeMs } = await this.runLocal(input);
    const totalMs = clock.now() - t0;
    let outputBytes = 0;
    for (const t of output.tables) outputBytes += t.bytes.byteLength;
    this.predicted(me, inputBytes, localPrediction, totalMs);
    this.options.onRecord?.({
      owner: me,
      ranOn: me,
      inputBytes,
      outputBytes,
      computeMs,
      transferMs: 0,
      totalMs,
      outcome: fallbackReason === undefined ? 'local' : 'fallback',
      ...(fallbackReason !== undefined ? { fallbackReason } : {}),
    });
    return { ok: true, type: 'output', output, ranOn: me, computeMs };
  }
}

export function compactionActorProps(options: CompactionActorOptions): Props<CompactionRequest> {
  return { create: () => new CompactionActor(options) };
}
