import { crc32 } from 'node:zlib';
import type { ActorRef } from '../../runtime/index.js';
import type { Clock } from '../../runtime/clock.js';
import { AskTimeoutError, EdgeKVError } from '../../runtime/errors.js';
import type { CompactionJobInput, CompactionJobOutput } from '../../storage/compaction-job.js';
import { bufferSource, SSTableReader } from '../../storage/sstable-reader.js';
import type { CompactionReply, CompactionRequest, TransferFile } from './messages.js';

/** Chunked transfer settings (see actors/pilot/defaults.ts for the defaults and their reasons). */
export interface TransferSettings {
  /** Largest piece of table data in one message. */
  chunkBytes: number;
  /** Chunks sent (or fetched) and not yet acknowledged, at most. */
  window: number;
  /** A chunk, offer or fetch not answered in this time fails the attempt (a dead or wedged target), within the overall deadline. */
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
}

export interface OffloadResult {
  output: CompactionJobOutput;
  computeMs: number;
  waitMs?: number;
  outputBytes: number;
}

/**
 * The owner's side of a remote merge: offer, stream the inputs in acknowledged
 * chunks, ask for the merge, pull the outputs in chunks, verify them. Throws on
 * any failure (the caller redoes the merge locally and releases the job);
 * installs nothing itself.
 */
export async function offloadChunked(o: OffloadRequest): Promise<OffloadResult> {
  const { clock, settings } = o;
  const remaining = (what: string, cap = Infinity): number => {
    const left = o.deadline - clock.now();
    if (left <= 0) throw new AskTimeoutError(`${o.targetNode} (${what})`, 0);
    return Math.max(1, Math.min(cap, left));
  };
  const ask = async (m: CompactionRequest, what: string, cap: number): Promise<Extract<CompactionReply, { ok: true }>> => {
    const r = await o.target.ask<CompactionReply>(m, { timeoutMs: remaining(what, cap) });
    if (!r.ok) raise(r);
    return r;
  };
  let inputBytes = 0;
  for (const b of o.input.inputs) inputBytes += b.byteLength;
  const files: TransferFile[] = o.input.inputs.map((b) => ({ length: b.byteLength, crc: crcOf(b) }));
  const { inputs: _inputs, ...params } = o.input;
  await sleep(clock, o.networkDelayMs?.(inputBytes) ?? 0);

  // The offer, the input chunks (at most `window` unacknowledged) and the merge request go out
  // without waiting for one another: messages from one node to another arrive in order, so the
  // target sees the offer before the chunks and every chunk before the merge (were it otherwise, it
  // would answer an error and the merge would be redone here). A refused offer makes the chunks
  // already sent stale (answered UNKNOWN_JOB, dropped). Round trips: one for the inputs and the merge.
  const offerP = ask(
    { type: 'offer', job: o.job, owner: o.owner, files, params, chunkBytes: settings.chunkBytes, ttlMs: remaining('offer') + settings.chunkTimeoutMs },
    'offer',
    settings.chunkTimeoutMs,
  ).then((r) => {
    if (r.type !== 'accepted') throw new EdgeKVError('UNEXPECTED_REPLY', `offer answered ${r.type}`);
  });
  let mergeP: Promise<Extract<CompactionReply, { ok: true }>> | undefined;
  const askMerge = (): void => {
    mergeP = ask({ type: 'merge', job: o.job }, 'merge', Infinity);
    mergeP.catch(() => undefined); // awaited below unless an earlier step failed
  };
  const pieces = o.input.inputs.flatMap((b, file) => chunkOffsets(b.byteLength, settings.chunkBytes).map((offset) => ({ file, offset })));
  let issued = 0;
  const chunksP = pipelined(pieces.length, settings.window, async (i) => {
    const { file, offset } = pieces[i]!;
    const src = o.input.inputs[file]!;
    const bytes = src.subarray(offset, Math.min(src.byteLength, offset + settings.chunkBytes));
    const acked = ask({ type: 'chunk', job: o.job, file, offset, bytes }, 'chunk', settings.chunkTimeoutMs);
    if (++issued === pieces.length) askMerge();
    const r = await acked;
    if (r.type !== 'ack' || r.file !== file || r.offset !== offset) throw new EdgeKVError('UNEXPECTED_REPLY', `chunk answered ${r.type}`);
    o.onSent?.(bytes.byteLength);
  });
  if (pieces.length === 0) askMerge();
  const [offerDone, chunksDone] = await Promise.allSettled([offerP, chunksP]);
  // The first failure in protocol order says why (a refusal, not the stale chunks it caused).
  if (offerDone.status === 'rejected') throw offerDone.reason;
  if (chunksDone.status === 'rejected') throw chunksDone.reason;
  const merged = await mergeP!;
  if (merged.type !== 'merged') throw new EdgeKVError('UNEXPECTED_REPLY', `merge answered ${merged.type}`);

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
    const r = await ask({ type: 'fetch', job: o.job, table, offset, length }, 'fetch', settings.chunkTimeoutMs);
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
