import { crc32 } from 'node:zlib';
import type { ActorRef } from '../../runtime/index.js';
import type { Clock } from '../../runtime/clock.js';
import { AskTimeoutError, EdgeKVError } from '../../runtime/errors.js';
import type { CompactionJobInput, CompactionJobOutput } from '../../storage/compaction-job.js';
import { bufferSource, SSTableReader } from '../../storage/sstable-reader.js';
import type { CompactionReply, CompactionRequest, TransferFile } from './messages.js';

/** Chunked transfer settings (see actors/compaction/defaults.ts for the defaults and their reasons). */
export interface TransferSettings {
  /** Largest piece of table data in one message. */
  chunkBytes: number;
  /** Chunks sent (or fetched) and not yet acknowledged, at most. */
  window: number;
  /** An offer, chunk or fetch not answered in this time is sent again (the message or its answer was lost). */
  attemptTimeoutMs: number;
  /**
   * Times an offer, chunk or fetch is sent again before the attempt fails (the
   * caller redoes the merge locally); also the consecutive unanswered `merge`
   * messages tolerated while the owner waits for the merge.
   */
  retries: number;
  /**
   * Longest an offer, chunk or fetch may go unanswered, re-sends included (a
   * dead or wedged target), within the overall deadline: it is sent at most
   * `⌊chunkTimeoutMs / attemptTimeoutMs⌋` times (and at least once, waiting
   * at most `chunkTimeoutMs`). Also the target's time-to-live margin past the deadline.
   */
  chunkTimeoutMs: number;
}

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

export class TargetMemoryError extends EdgeKVError {
  constructor(readonly node: string, needed: number, held: number, bound: number) {
    super('NO_MEMORY', `node ${node} would hold ${held + needed} bytes for other nodes' merges, over its bound of ${bound}; run it locally or elsewhere`);
  }
}

export class UnknownJobError extends EdgeKVError {
  constructor(node: string, job: string) {
    super('UNKNOWN_JOB', `node ${node} holds no job ${job} (released, expired or never offered)`);
  }
}

export const crcOf = (b: Uint8Array): number => crc32(b) >>> 0;

/** Offsets of the chunks of a `length`-byte file. */
export function chunkOffsets(length: number, chunkBytes: number): number[] {
  const out: number[] = [];
  for (let off = 0; off < length; off += chunkBytes) out.push(off);
  return out;
}

/** Runs `send(0..count-1)` with at most `window` in flight; stops issuing at the first failure and rethrows it. */
export async function pipelined(count: number, window: number, send: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { e: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failed === undefined && next < count) {
      const i = next++;
      try {
        await send(i);
      } catch (e) {
        failed ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(0, Math.min(window, count)) }, lane));
  if (failed !== undefined) throw failed.e;
}

function sleep(clock: Clock, ms: number): Promise<void> {
  if (!(ms > 0)) return Promise.resolve();
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

function raise(r: Extract<CompactionReply, { ok: false }>): never {
  throw new EdgeKVError(r.code, r.message);
}

/** Checks the assembled output: length and CRC per table as the target announced them, then each table's own (checksummed) footer, index and properties. */
export function verifyOutput(from: string, tables: Uint8Array[], files: TransferFile[]): CompactionJobOutput['tables'] {
  if (tables.length !== files.length) throw new RemoteOutputCorruptError(from, 'table count mismatch');
  return tables.map((bytes, i) => {
    const f = files[i]!;
    if (bytes.byteLength !== f.length) throw new RemoteOutputCorruptError(from, `table ${i} is ${bytes.byteLength} bytes, announced ${f.length}`);
    if (crcOf(bytes) !== f.crc) throw new RemoteOutputCorruptError(from, `table ${i} CRC mismatch`);
    try {
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return { bytes, props: SSTableReader.open(bufferSource(buf), i, `remote output #${i}`).props };
    } catch (e) {
      throw new RemoteOutputCorruptError(from, `table ${i}: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
}

export interface OffloadRequest {
  target: ActorRef<CompactionRequest>;
  targetNode: string;
  owner: string;
  /** Unique for ever (owner name, incarnation, sequence): late messages of an old attempt never match a new one. */
  job: string;
  input: CompactionJobInput;
  clock: Clock;
  /** Clock time past which the attempt is abandoned. */
  deadline: number;
  settings: TransferSettings;
  networkDelayMs?: ((bytes: number) => number) | undefined;
  onSent?: (bytes: number) => void;
  onFetched?: (bytes: number) => void;
  /** A message sent again: its earlier send went unanswered, or it overtook a lost offer. */
  onRetry?: () => void;
  /** A `merge` sent again to a target that answered it was merging (to pick up a result whose answer may be lost). */
  onPoll?: () => void;
}

export interface OffloadResult {
  output: CompactionJobOutput;
  computeMs: number;
  waitMs?: number;
  outputBytes: number;
}

type Merged = Extract<CompactionReply, { type: 'merged' }>;

/** One `merge` message sent, and what it was answered. */
interface MergeSend {
  at: number;
  /** 'first': the request; 'resend': after it met no job (it overtook a lost offer); 'probe': sent after the last went `attemptTimeoutMs` without the result. */
  kind: 'first' | 'resend' | 'probe';
  /** Sent before the owner knew the offer accepted: an UNKNOWN_JOB answer may mean the offer was lost. */
  beforeOffer: boolean;
  answer?: 'merging' | 'merged' | 'stale';
}

/**
 * The owner's side of a remote merge: offer, stream the inputs in acknowledged
 * chunks, ask for the merge, pull the outputs in chunks, verify them. A lost
 * message (or answer) is sent again: see `TransferSettings` and messages.ts.
 * Throws on any failure that re-sending does not cure (the caller redoes the
 * merge locally and releases the job); installs nothing itself.
 */
export async function offloadChunked(o: OffloadRequest): Promise<OffloadResult> {
  const { clock, settings } = o;
  const remaining = (what: string, cap = Infinity): number => {
    const left = o.deadline - clock.now();
    if (left <= 0) throw new AskTimeoutError(`${o.targetNode} (${what})`, 0);
    return Math.max(1, Math.min(cap, left));
  };
  /**
   * Sends `m` until it is answered: each send waits `attemptTimeoutMs`, and
   * an unanswered one is sent again, at most `retries` times and only as
   * many times as fit in `chunkTimeoutMs` (at least one send, waiting at most
   * `chunkTimeoutMs`), all within the deadline. The target answers a repeated
   * offer, chunk or fetch as it did the first (idempotent by job, file or
   * table, offset). Returns the answer, errors included.
   */
  const perSendMs = Math.min(settings.attemptTimeoutMs, settings.chunkTimeoutMs);
  const sendsPerMessage = Math.max(1, Math.min(settings.retries + 1, Math.floor(settings.chunkTimeoutMs / settings.attemptTimeoutMs)));
  const request = async (m: CompactionRequest, what: string): Promise<CompactionReply> => {
    const first = clock.now();
    for (let send = 0; ; send++) {
      if (send >= sendsPerMessage) throw new AskTimeoutError(`${o.targetNode} (${what}, ${send} sends unanswered)`, clock.now() - first);
      const timeoutMs = remaining(what, perSendMs);
      if (send > 0) o.onRetry?.();
      try {
        return await o.target.ask<CompactionReply>(m, { timeoutMs });
      } catch (e) {
        if (!(e instanceof AskTimeoutError)) throw e;
      }
    }
  };
  let inputBytes = 0;
  for (const b of o.input.inputs) inputBytes += b.byteLength;
  const files: TransferFile[] = o.input.inputs.map((b) => ({ length: b.byteLength, crc: crcOf(b) }));
  const { inputs: _inputs, ...params } = o.input;
  await sleep(clock, o.networkDelayMs?.(inputBytes) ?? 0);

  // The offer, the input chunks (at most `window` unacknowledged) and the merge request go out
  // without waiting for one another: messages from one node to another arrive in order, so without
  // loss the target sees the offer before the chunks and every chunk before the merge. Round trips:
  // one for the inputs and the merge. With loss: a chunk (or the merge) that overtook a lost offer is
  // answered UNKNOWN_JOB and sent again once the re-sent offer is accepted; a merge that overtook a
  // lost chunk waits at the target for the re-sent chunk. A refused offer makes the chunks already
  // sent stale (answered UNKNOWN_JOB, dropped).
  let offerAccepted = false;
  const offerP = request(
    { type: 'offer', job: o.job, owner: o.owner, files, params, chunkBytes: settings.chunkBytes, ttlMs: remaining('offer') + settings.chunkTimeoutMs },
    'offer',
  ).then((r) => {
    if (!r.ok) raise(r);
    if (r.type !== 'accepted') throw new EdgeKVError('UNEXPECTED_REPLY', `offer answered ${r.type}`);
    offerAccepted = true;
  });
  offerP.catch(() => undefined); // awaited below

  // The merge: the first request waits at the target for the result (the common case: one answer).
  // If no result came `attemptTimeoutMs` after it (or after the last chunk was acknowledged), the
  // owner sends `merge` again: a target already merging answers `merging` at once (it is alive;
  // the owner keeps waiting and asks again later), one done answers the same result again (its
  // answer was lost), one that never got the request starts the merge. `retries` consecutive
  // unanswered `merge` messages fail the attempt; the deadline bounds it all.
  const mergeSends: MergeSend[] = [];
  let mergeOutcome: { merged: Merged } | { error: unknown } | undefined;
  const outcome = () => mergeOutcome; // set by answers, not by this function's flow
  let wakeMerge: (() => void) | undefined;
  const settleMerge = (x: { merged: Merged } | { error: unknown }): void => {
    mergeOutcome ??= x;
    wakeMerge?.();
  };
  const sendMerge = (kind: MergeSend['kind']): void => {
    let timeoutMs: number;
    try {
      timeoutMs = remaining('merge');
    } catch (e) {
      settleMerge({ error: e });
      return;
    }
    const s: MergeSend = { at: clock.now(), kind, beforeOffer: !offerAccepted };
    mergeSends.push(s);
    // Every `merge` waits up to the deadline: the one that started the merge is answered when it is done.
    o.target.ask<CompactionReply>({ type: 'merge', job: o.job }, { timeoutMs }).then(
      (r) => {
        if (r.ok && r.type === 'merged') {
          s.answer = 'merged';
          settleMerge({ merged: r });
        } else if (r.ok && r.type === 'merging') {
          s.answer = 'merging';
          wakeMerge?.();
        } else if (!r.ok && r.code === 'UNKNOWN_JOB' && s.beforeOffer) {
          s.answer = 'stale';
          wakeMerge?.();
        } else {
          settleMerge({ error: r.ok ? new EdgeKVError('UNEXPECTED_REPLY', `merge answered ${r.type}`) : new EdgeKVError(r.code, r.message) });
        }
      },
      (e: unknown) => settleMerge({ error: e }),
    );
  };

  const pieces = o.input.inputs.flatMap((b, file) => chunkOffsets(b.byteLength, settings.chunkBytes).map((offset) => ({ file, offset })));
  let issued = 0;
  const chunksP = pipelined(pieces.length, settings.window, async (i) => {
    const { file, offset } = pieces[i]!;
    const src = o.input.inputs[file]!;
    const bytes = src.subarray(offset, Math.min(src.byteLength, offset + settings.chunkBytes));
    const m: CompactionRequest = { type: 'chunk', job: o.job, file, offset, bytes };
    for (let again = false; ; again = true) {
      const beforeOffer = !offerAccepted;
      const acked = request(m, 'chunk');
      if (!again && ++issued === pieces.length) sendMerge('first');
      const r = await acked;
      if (!r.ok && r.code === 'UNKNOWN_JOB' && beforeOffer) {
        // It overtook a lost (or refused) offer: send it again once the offer is accepted.
        await offerP;
        o.onRetry?.();
        continue;
      }
      if (!r.ok) raise(r);
      if (r.type !== 'ack' || r.file !== file || r.offset !== offset) throw new EdgeKVError('UNEXPECTED_REPLY', `chunk answered ${r.type}`);
      o.onSent?.(bytes.byteLength);
      return;
    }
  });
  if (pieces.length === 0) sendMerge('first');
  try {
    const [offerDone, chunksDone] = await Promise.allSettled([offerP, chunksP]);
    // The first failure in protocol order says why (a refusal, not the stale chunks it caused).
    if (offerDone.status === 'rejected') throw offerDone.reason;
    if (chunksDone.status === 'rejected') throw chunksDone.reason;
    const inputsAt = clock.now();
    let misses = 0;
    while (outcome() === undefined) {
      const last = mergeSends[mergeSends.length - 1]!;
      if (last.answer === 'stale') {
        o.onRetry?.(); // the offer is accepted now: the next one cannot be stale
        sendMerge('resend');
        continue;
      }
      const wait = Math.min(Math.max(last.at, inputsAt) + settings.attemptTimeoutMs, o.deadline) - clock.now();
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = clock.setTimeout(resolve, wait);
          wakeMerge = () => {
            clock.clearTimeout(timer);
            resolve();
          };
        });
        wakeMerge = undefined;
        continue;
      }
      if (last.answer === undefined && ++misses > settings.retries) {
        throw new AskTimeoutError(`${o.targetNode} (merge, ${mergeSends.length} sends unanswered)`, clock.now() - mergeSends[0]!.at);
      }
      if (last.answer === 'merging') misses = 0;
      sendMerge('probe');
    }
  } finally {
    // A probe answered `merging` (or still in flight) was a poll; any other re-sent merge went after a lost message.
    const now = clock.now();
    for (const s of mergeSends) {
      if (s.kind !== 'probe') continue;
      if (s.answer === 'merging' || (s.answer === undefined && now - s.at < settings.attemptTimeoutMs)) o.onPoll?.();
      else o.onRetry?.();
    }
  }
  const done = outcome()!;
  if ('error' in done) throw done.error;
  const merged = done.merged;

  // The first output chunk came with the answer; the rest are pulled, at most `window` outstanding.
  const tables: Uint8Array[] = merged.tables.map((t) => (t.length <= settings.chunkBytes ? new Uint8Array(0) : new Uint8Array(t.length)));
  let outputBytes = 0;
  const place = (table: number, offset: number, bytes: Uint8Array, length: number): void => {
    if (bytes.byteLength !== length) throw new RemoteOutputCorruptError(o.targetNode, `output chunk ${table}@${offset} is ${bytes.byteLength} bytes, expected ${length}`);
    // A table in one chunk is taken as it came (the target never writes to it again); larger ones are assembled.
    if (length === merged.tables[table]!.length) tables[table] = bytes;
    else tables[table]!.set(bytes, offset);
    outputBytes += length;
    o.onFetched?.(length);
  };
  const chunkLength = (table: number, offset: number) => Math.min(settings.chunkBytes, merged.tables[table]!.length - offset);
  let wanted = merged.tables.flatMap((t, table) => chunkOffsets(t.length, settings.chunkBytes).map((offset) => ({ table, offset })));
  if (merged.head !== undefined && wanted.length > 0) {
    place(0, 0, merged.head, chunkLength(0, 0));
    wanted = wanted.slice(1);
  }
  await pipelined(wanted.length, settings.window, async (i) => {
    const { table, offset } = wanted[i]!;
    const length = chunkLength(table, offset);
    // Only the answer to the current send is taken (an earlier send's late answer is dropped): each range is placed once.
    const r = await request({ type: 'fetch', job: o.job, table, offset, length }, 'fetch');
    if (!r.ok) raise(r);
    if (r.type !== 'chunk' || r.table !== table || r.offset !== offset) throw new EdgeKVError('UNEXPECTED_REPLY', `fetch answered ${r.type}`);
    place(table, offset, r.bytes, length);
  });
  await sleep(clock, o.networkDelayMs?.(outputBytes) ?? 0);
  const verified = verifyOutput(o.targetNode, tables, merged.tables);
  return {
    output: { tables: verified, stats: merged.stats },
    computeMs: merged.computeMs,
    ...(merged.waitMs !== undefined ? { waitMs: merged.waitMs } : {}),
    outputBytes,
  };
}
