import type { Actor, ActorContext, ActorRef, Props } from '../../runtime/index.js';
import type { TimerHandle } from '../../runtime/clock.js';
import { EdgeKVError } from '../../runtime/errors.js';
import type { CompactionJobInput, CompactionJobOutput } from '../../storage/compaction-job.js';
import type { StorageJobRunner } from '../../storage/job-runner.js';
import {
  chunkOffsets,
  crcOf,
  offloadChunked,
  RemoteOutputCorruptError,
  TargetBusyError,
  TargetMemoryError,
  UnknownJobError,
  type TransferSettings,
} from './chunked-transfer.js';
import { compactionTransferDefaults } from './defaults.js';
import type { CompactionJobParams, CompactionReply, CompactionRequest, CompactionStats, FallbackReason, TransferFile } from './messages.js';

export { RemoteOutputCorruptError, TargetBusyError, TargetMemoryError } from './chunked-transfer.js';

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
  /**
   * 'timed-out': a remote merge abandoned at its deadline. `computeMs` is the
   * time waited, a lower bound of what the target would have taken, so the
   * model learns that the target is slower than it predicted. The merge that
   * follows here is a separate 'fallback' event.
   */
  outcome: 'local' | 'remote' | 'fallback' | 'timed-out';
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
  /** A remote merge not answered within this time is redone locally (unless placement gives a deadline); transfer time is added. */
  remoteTimeoutMs?: number;
  /**
   * May this node take a merge for another one now? (EdgePilot: only with a
   * free core.) `pending`: jobs already accepted here whose merge has not
   * started (their inputs are still arriving), to count against the free cores.
   */
  admitRemote?: (pending: number) => boolean;
  /** Bytes held at once for other nodes' jobs (a job reserves twice its input); offers over it are refused. */
  maxHeldForOthersBytes?: number;
  /** Chunk size, chunks in flight, per-send timeout, re-sends, per-message cap (defaults: compactionTransferDefaults). */
  transfer?: Partial<TransferSettings>;
  /** Remote deadline allowance for moving inputs and outputs: bytes per ms of the slowest transfer waited for. */
  minTransferBytesPerMs?: number;
  /** Emulated network: ms to move `bytes` one way between nodes (0 when absent). */
  networkDelayMs?: (bytes: number) => number;
  /** Every finished merge of this node's data, wherever it ran. */
  onRecord?: (event: CompactionEvent) => void;
}

const DEFAULT_REMOTE_TIMEOUT_MS = 60_000;
const MAX_PREDICTIONS = 256;

function failure(e: unknown): Extract<CompactionReply, { ok: false }> {
  if (e instanceof EdgeKVError) return { ok: false, code: e.code, message: e.message };
  return { ok: false, code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

/** Another node's merge held here: inputs while they arrive, outputs until the owner fetched them. */
interface IncomingJob {
  id: string;
  owner: string;
  params: CompactionJobParams;
  files: TransferFile[];
  chunkBytes: number;
  buffers: Uint8Array[];
  /** Chunk indexes received, per file. */
  received: Set<number>[];
  /** Chunks not received yet (all files). */
  missing: number;
  reserved: number;
  ttlMs: number;
  state: 'receiving' | 'merging' | 'ready';
  /** A `merge` arrived (later ones are answered `merging`, or `result` once there is one). */
  mergeRequested: boolean;
  /** Set while that merge waits for chunks still missing (re-sent ones): true once all are in, false if the job is dropped. */
  inputsComplete?: (complete: boolean) => void;
  /** The merge's answer, given again to a re-sent `merge` (its first answer may have been lost). */
  result?: CompactionReply;
  outputs?: Uint8Array[];
  timer: TimerHandle;
}

/** Ids of jobs dropped here are remembered this long past their time to live at most (a late offer must not re-create one). */
const MAX_FINISHED_JOBS = 10_000;

let incarnations = 0;

/**
 * Runs the engine's merge jobs. The job is pure (SSTable bytes in, bytes out),
 * so it may run on another node; the engine installs the output once, when
 * this actor answers. A remote attempt (inputs and outputs streamed in
 * acknowledged, checksummed chunks: see messages.ts) that fails, times out, is
 * refused or returns output that fails verification is redone locally, and
 * late messages of an abandoned attempt change nothing: nothing is lost or
 * installed twice.
 */
export class CompactionActor implements Actor<CompactionRequest> {
  private readonly stats: CompactionStats = {
    localJobs: 0,
    remoteJobs: 0,
    remoteFallbacks: 0,
    fallbacksByReason: { timeout: 0, error: 0, corrupt: 0, busy: 0 },
    servedForOthers: 0,
    rejectedBusy: 0,
    rejectedMemory: 0,
    inputBytes: 0,
    outputBytes: 0,
    bytesSent: 0,
    bytesReceived: 0,
    chunksSent: 0,
    chunksFetched: 0,
    chunksReceived: 0,
    duplicateChunks: 0,
    retries: 0,
    mergePolls: 0,
    staleMessages: 0,
    expiredJobs: 0,
    heldForOthersBytes: 0,
    predictions: [],
  };
  private readonly incoming = new Map<string, IncomingJob>();
  /** Jobs held here once and dropped (released, expired, corrupt) → clock time until which a late offer for them is stale. */
  private readonly finished = new Map<string, number>();
  /** Job ids are `<node>#<incarnation>#<n>`: never reused, even by a restarted actor. */
  private readonly incarnation = `${Date.now().toString(36)}.${(++incarnations).toString(36)}.${Math.random().toString(36).slice(2, 8)}`;
  private nextJob = 0;
  private readonly transfer: TransferSettings;

  constructor(private readonly options: CompactionActorOptions) {
    this.transfer = {
      chunkBytes: options.transfer?.chunkBytes ?? compactionTransferDefaults.chunkBytes,
      window: options.transfer?.window ?? compactionTransferDefaults.window,
      attemptTimeoutMs: options.transfer?.attemptTimeoutMs ?? compactionTransferDefaults.attemptTimeoutMs,
      retries: options.transfer?.retries ?? compactionTransferDefaults.retries,
      chunkTimeoutMs: options.transfer?.chunkTimeoutMs ?? compactionTransferDefaults.chunkTimeoutMs,
    };
  }

  postStop(ctx: ActorContext<CompactionRequest>): void {
    for (const job of this.incoming.values()) ctx.clock.clearTimeout(job.timer);
    this.incoming.clear();
    this.finished.clear();
    this.stats.heldForOthersBytes = 0;
  }

  receive(m: CompactionRequest, ctx: ActorContext<CompactionRequest>): void {
    const sender = ctx.sender;
    const answer = (r: CompactionReply) => sender?.tell(r, ctx.self as ActorRef<unknown>);
    switch (m.type) {
      case 'stats':
        answer({ ok: true, type: 'stats', stats: { ...this.stats, fallbacksByReason: { ...this.stats.fallbacksByReason }, predictions: [...this.stats.predictions] } });
        return;
      case 'offer':
        answer(this.offer(m, ctx));
        return;
      case 'chunk':
        answer(this.chunk(m, ctx));
        return;
      case 'merge':
        this.merge(m.job, ctx).then(answer, (e: unknown) => answer(failure(e)));
        return;
      case 'fetch':
        answer(this.fetch(m, ctx));
        return;
      case 'release':
        if (!this.drop(m.job, ctx)) this.stats.staleMessages++;
        return;
      case 'compact':
        // Not awaited: several merges may be in flight (the engine bounds how many).
        this.place(m.input, ctx).then(answer, (e: unknown) => answer(failure(e)));
        return;
    }
  }

  private nodeName(ctx: ActorContext<CompactionRequest>): string {
    return this.options.node ?? ctx.self.toString();
  }

  // ---- target side: another node's merge, in chunks ----

  private offer(m: Extract<CompactionRequest, { type: 'offer' }>, ctx: ActorContext<CompactionRequest>): CompactionReply {
    const me = this.nodeName(ctx);
    const held = this.incoming.get(m.job);
    if (held !== undefined) {
      // A re-sent offer (its answer was lost, or it was slow): accepted again, nothing reserved twice.
      if (held.owner !== m.owner) return failure(new EdgeKVError('BAD_REQUEST', `offer ${m.job} from ${m.owner}: the job is ${held.owner}'s`));
      return { ok: true, type: 'accepted', job: m.job };
    }
    if (this.wasFinished(m.job, ctx)) {
      // A late copy of the offer of a job already released or expired here: it does not come back.
      this.stats.staleMessages++;
      return failure(new UnknownJobError(me, m.job));
    }
    let pending = 0;
    for (const j of this.incoming.values()) if (j.state === 'receiving') pending++;
    if (this.options.admitRemote !== undefined && !this.options.admitRemote(pending)) {
      this.stats.rejectedBusy++;
      return failure(new TargetBusyError(me));
    }
    let inputBytes = 0;
    for (const f of m.files) inputBytes += f.length;
    const reserved = 2 * inputBytes;
    const bound = this.options.maxHeldForOthersBytes ?? compactionTransferDefaults.maxHeldForOthersBytes;
    if (this.stats.heldForOthersBytes + reserved > bound) {
      this.stats.rejectedMemory++;
      return failure(new TargetMemoryError(me, reserved, this.stats.heldForOthersBytes, bound));
    }
    if (!(m.chunkBytes > 0) || m.files.some((f) => !Number.isInteger(f.length) || f.length < 0)) {
      return failure(new EdgeKVError('BAD_REQUEST', `offer ${m.job}: bad sizes`));
    }
    let chunks = 0;
    for (const f of m.files) chunks += chunkOffsets(f.length, m.chunkBytes).length;
    const job: IncomingJob = {
      id: m.job,
      owner: m.owner,
      params: m.params,
      files: m.files,
      chunkBytes: m.chunkBytes,
      buffers: m.files.map((f) => new Uint8Array(f.length)),
      received: m.files.map(() => new Set<number>()),
      missing: chunks,
      reserved,
      ttlMs: Math.max(1, m.ttlMs),
      state: 'receiving',
      mergeRequested: false,
      // An owner that vanished (or gave up without a release reaching us) does not pin the memory.
      timer: ctx.clock.setTimeout(() => {
        if (this.drop(m.job, ctx)) this.stats.expiredJobs++;
      }, Math.max(1, m.ttlMs)),
    };
    this.incoming.set(m.job, job);
    this.stats.heldForOthersBytes += reserved;
    return { ok: true, type: 'accepted', job: m.job };
  }

  /** Forgets a held job and frees its reservation (a merge waiting for its chunks gives up); false if it was not held. */
  private drop(id: string, ctx: ActorContext<CompactionRequest>): boolean {
    const job = this.incoming.get(id);
    if (job === undefined) return false;
    this.incoming.delete(id);
    ctx.clock.clearTimeout(job.timer);
    this.stats.heldForOthersBytes -= job.reserved;
    job.inputsComplete?.(false);
    // Remembered for the job's time to live: no message of its owner's attempt is sent after that.
    const now = ctx.clock.now();
    for (const [k, until] of this.finished) if (until <= now) this.finished.delete(k);
    if (this.finished.size >= MAX_FINISHED_JOBS) this.finished.delete(this.finished.keys().next().value!);
    this.finished.set(id, now + job.ttlMs);
    return true;
  }

  private wasFinished(id: string, ctx: ActorContext<CompactionRequest>): boolean {
    const until = this.finished.get(id);
    if (until === undefined) return false;
    if (until > ctx.clock.now()) return true;
    this.finished.delete(id);
    return false;
  }

  private chunk(m: Extract<CompactionRequest, { type: 'chunk' }>, ctx: ActorContext<CompactionRequest>): CompactionReply {
    const me = this.nodeName(ctx);
    const job = this.incoming.get(m.job);
    if (job === undefined) {
      this.stats.staleMessages++;
      return failure(new UnknownJobError(me, m.job));
    }
    const file = job.files[m.file];
    const index = m.offset / job.chunkBytes;
    const expected = file === undefined ? -1 : Math.min(job.chunkBytes, file.length - m.offset);
    const bytes = m.bytes instanceof Uint8Array ? m.bytes : new Uint8Array(0);
    if (file === undefined || !Number.isInteger(index) || m.offset >= file.length || bytes.byteLength !== expected) {
      // Malformed in transit: the job cannot succeed; free it now (later chunks are stale). Flipped bits show at `merge` (file CRC).
      this.drop(m.job, ctx);
      return failure(new EdgeKVError('CORRUPTION', `job ${m.job}: chunk ${m.file}@${m.offset} is not where or as long as the offer said`));
    }
    if (job.state !== 'receiving' || job.received[m.file]!.has(index)) {
      this.stats.duplicateChunks++;
      return { ok: true, type: 'ack', job: m.job, file: m.file, offset: m.offset };
    }
    job.buffers[m.file]!.set(bytes, m.offset);
    job.received[m.file]!.add(index);
    this.stats.chunksReceived++;
    if (--job.missing === 0) job.inputsComplete?.(true); // a merge that overtook this (re-sent) chunk goes on
    return { ok: true, type: 'ack', job: m.job, file: m.file, offset: m.offset };
  }

  private async merge(id: string, ctx: ActorContext<CompactionRequest>): Promise<CompactionReply> {
    const me = this.nodeName(ctx);
    const job = this.incoming.get(id);
    if (job === undefined) {
      this.stats.staleMessages++;
      throw new UnknownJobError(me, id);
    }
    // A re-sent merge (the owner heard nothing yet): the same answer again, or `merging` while there is none; never a second merge.
    if (job.result !== undefined) return job.result;
    if (job.mergeRequested) return { ok: true, type: 'merging', job: id };
    job.mergeRequested = true;
    if (job.missing > 0) {
      // It overtook chunks that were lost and are being sent again: wait for them (the job's time to live bounds the wait).
      const complete = await new Promise<boolean>((resolve) => (job.inputsComplete = resolve));
      job.inputsComplete = undefined;
      if (!complete || this.incoming.get(id) !== job) throw new UnknownJobError(me, id);
    }
    for (const [i, f] of job.files.entries()) {
      if (crcOf(job.buffers[i]!) !== f.crc) {
        this.drop(id, ctx);
        throw new EdgeKVError('CORRUPTION', `job ${id}: input ${i} failed its CRC`);
      }
    }
    job.state = 'merging';
    const input: CompactionJobInput = { ...job.params, inputs: job.buffers };
    job.buffers = []; // the pool may move them away
    let ran: Awaited<ReturnType<CompactionActor['runLocal']>>;
    try {
      ran = await this.runLocal(input, true);
    } catch (e) {
      if (this.incoming.get(id) === job) job.result = failure(e); // a re-sent merge hears the same failure
      throw e;
    }
    const { output, computeMs, waitMs } = ran;
    if (this.incoming.get(id) !== job) {
      // Released or expired while merging: the owner has moved on.
      this.stats.staleMessages++;
      throw new UnknownJobError(me, id);
    }
    job.state = 'ready';
    job.outputs = output.tables.map((t) => t.bytes);
    this.stats.servedForOthers++;
    job.result = {
      ok: true,
      type: 'merged',
      job: id,
      ranOn: me,
      tables: job.outputs.map((b) => ({ length: b.byteLength, crc: crcOf(b) })),
      stats: output.stats,
      computeMs,
      ...(waitMs !== undefined ? { waitMs } : {}),
      ...(job.outputs.length > 0 ? { head: job.outputs[0]!.subarray(0, Math.min(job.chunkBytes, job.outputs[0]!.byteLength)) } : {}),
    };
    return job.result;
  }

  private fetch(m: Extract<CompactionRequest, { type: 'fetch' }>, ctx: ActorContext<CompactionRequest>): CompactionReply {
    const me = this.nodeName(ctx);
    const job = this.incoming.get(m.job);
    if (job === undefined) {
      this.stats.staleMessages++;
      return failure(new UnknownJobError(me, m.job));
    }
    const table = job.outputs?.[m.table];
    if (job.state !== 'ready' || table === undefined || m.offset < 0 || m.length <= 0 || m.offset + m.length > table.byteLength) {
      return failure(new EdgeKVError('BAD_REQUEST', `job ${m.job}: no output range ${m.table}@${m.offset}+${m.length}`));
    }
    const bytes = table.subarray(m.offset, m.offset + m.length);
    return { ok: true, type: 'chunk', job: m.job, table: m.table, offset: m.offset, bytes };
  }

  // ---- owner side ----

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
      const job = `${me}#${this.incarnation}#${++this.nextJob}`;
      const t0 = clock.now();
      // The model's deadline, plus moving the inputs and about as many output bytes at the slowest rate waited for.
      const modelMs = remote.timeoutMs ?? this.options.remoteTimeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS;
      const transferMs = (2 * inputBytes) / (this.options.minTransferBytesPerMs ?? compactionTransferDefaults.minTransferBytesPerMs);
      try {
        const r = await offloadChunked({
          target: remote.target,
          targetNode: remote.targetNode,
          owner: me,
          job,
          input,
          clock,
          deadline: t0 + modelMs + transferMs,
          settings: this.transfer,
          networkDelayMs: this.options.networkDelayMs,
          onSent: (bytes) => {
            this.stats.bytesSent += bytes;
            this.stats.chunksSent++;
          },
          onFetched: (bytes) => {
            this.stats.bytesReceived += bytes;
            this.stats.chunksFetched++;
          },
          onRetry: () => this.stats.retries++,
          onPoll: () => this.stats.mergePolls++,
        });
        remote.target.tell({ type: 'release', job });
        const totalMs = clock.now() - t0;
        const computeMs = Math.min(totalMs, r.computeMs);
        // Waiting at the target for a core is neither compute nor transfer (the local path does not record it either).
        const waitMs = Math.min(totalMs - computeMs, r.waitMs ?? 0);
        this.stats.remoteJobs++;
        this.predicted(remote.targetNode, inputBytes, remote.predictedMs, totalMs);
        this.options.onRecord?.({
          owner: me,
          ranOn: remote.targetNode,
          inputBytes,
          outputBytes: r.outputBytes,
          computeMs,
          transferMs: totalMs - computeMs - waitMs,
          totalMs,
          outcome: 'remote',
        });
        return { ok: true, type: 'output', output: r.output, ranOn: remote.targetNode, computeMs, ...(r.waitMs !== undefined ? { waitMs: r.waitMs } : {}) };
      } catch (e) {
        fallbackReason =
          e instanceof RemoteOutputCorruptError || (e instanceof EdgeKVError && e.code === 'CORRUPTION')
            ? 'corrupt'
            : e instanceof EdgeKVError && e.code === 'ASK_TIMEOUT'
              ? 'timeout'
              : e instanceof EdgeKVError && (e.code === 'BUSY' || e.code === 'NO_MEMORY')
                ? 'busy'
                : 'error';
        // Frees whatever the target holds (a target that never got the offer counts it as stale).
        remote.target.tell({ type: 'release', job });
        if (fallbackReason === 'timeout') {
          const waitedMs = clock.now() - t0;
          this.options.onRecord?.({ owner: me, ranOn: remote.targetNode, inputBytes, outputBytes: 0, computeMs: waitedMs, transferMs: 0, totalMs: waitedMs, outcome: 'timed-out' });
        }
      }
      this.stats.remoteFallbacks++;
      this.stats.fallbacksByReason[fallbackReason]++;
      // Late chunk messages of the abandoned attempt may still read the inputs: merge a copy (the pool moves what it is given).
      input = { ...input, inputs: input.inputs.map((b) => Uint8Array.from(b)) };
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
