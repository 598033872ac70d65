import type { CompactionJobInput, CompactionJobOutput } from '../../storage/compaction-job.js';

/** A merge's parameters without its input tables (they travel in chunks). */
export type CompactionJobParams = Omit<CompactionJobInput, 'inputs'>;

/** One file of a chunked transfer: its total length and CRC-32, checked once every chunk is in. */
export interface TransferFile {
  length: number;
  crc: number;
}

/** An output table announced by the target before the owner fetches it (its properties are read back from the verified bytes). */
export type OutputTableMeta = TransferFile;

/**
 * The compaction actor's messages. A merge for another node travels in chunks
 * (no message carries more than `chunkBytes` of table data, well under the TCP
 * frame limit), all keyed by a job id the owner never reuses:
 *  1. `offer` (ask): sizes and CRCs of the inputs; the target accepts or refuses
 *     (no free core, or the bytes it would hold for others exceed its bound).
 *     The owner sends 1–3 without waiting for one another (in-order delivery);
 *  2. `chunk` (ask, at most `window` unacknowledged): input bytes (the file's CRC,
 *     checked once it is complete, covers them: one CRC pass per file and side);
 *  3. `merge` (ask): once every chunk is in (a merge that overtook lost chunks
 *     waits for their re-sends), the target checks every file's CRC, merges in
 *     its pool, answers the output tables' lengths and CRCs and the first output chunk;
 *  4. `fetch` (ask, at most `window` outstanding): the owner pulls output chunks;
 *  5. `release` (tell): the target frees the job (also sent when the owner gives up).
 * Messages may be lost: the owner sends an unanswered offer, chunk or fetch
 * again (`attemptTimeoutMs`, at most `retries` times), and the target answers
 * every repeat as the first (by job, file or table, offset; nothing reserved or
 * written twice). A repeated `merge` is answered `merging` while the merge runs
 * (or waits for chunks) and with the same `merged` answer once it is done: a
 * job is merged once. A target forgets a job at `release` or when its time to
 * live runs out; messages for a job it does not hold (a late offer of one it
 * dropped included) are answered `UNKNOWN_JOB` and change nothing.
 */
export type CompactionRequest =
  /** From this node's engine: run a merge wherever placement says, install nothing. */
  | { type: 'compact'; input: CompactionJobInput }
  | { type: 'offer'; job: string; owner: string; files: TransferFile[]; params: CompactionJobParams; chunkBytes: number; ttlMs: number }
  | { type: 'chunk'; job: string; file: number; offset: number; bytes: Uint8Array }
  | { type: 'merge'; job: string }
  | { type: 'fetch'; job: string; table: number; offset: number; length: number }
  | { type: 'release'; job: string }
  | { type: 'stats' };

export type FallbackReason = 'timeout' | 'error' | 'corrupt' | 'busy';

export interface PredictionSample {
  /** Where the merge was meant to run (owner name for local). */
  ranOn: string;
  inputBytes: number;
  predictedMs: number;
  actualMs: number;
}

export interface CompactionStats {
  localJobs: number;
  remoteJobs: number;
  /** Remote jobs that failed or timed out and were redone locally. */
  remoteFallbacks: number;
  fallbacksByReason: Record<FallbackReason, number>;
  /** Jobs run here for other nodes (merged and answered). */
  servedForOthers: number;
  /** Jobs from other nodes refused because no core was free. */
  rejectedBusy: number;
  /** Jobs from other nodes refused because the bytes held for others would exceed the bound. */
  rejectedMemory: number;
  inputBytes: number;
  outputBytes: number;
  /** Bytes this node shipped to others (inputs) and got back (outputs). */
  bytesSent: number;
  bytesReceived: number;
  /** Chunks sent (inputs) and fetched (outputs) as owner; chunks received as target. */
  chunksSent: number;
  chunksFetched: number;
  chunksReceived: number;
  /** Chunks that arrived twice for a held job (acknowledged, not written again). */
  duplicateChunks: number;
  /**
   * Owner side: messages sent again after a send went unanswered for
   * `attemptTimeoutMs` (offers, chunks, fetches; merges not answered
   * `merging`) or after one overtook a lost offer (answered UNKNOWN_JOB).
   */
  retries: number;
  /** Owner side: `merge` sent again to a target that answered it is still merging (to pick up a result whose answer may be lost). */
  mergePolls: number;
  /** Messages for jobs this node does not hold (released, expired, never offered): answered UNKNOWN_JOB, ignored. */
  staleMessages: number;
  /** Jobs dropped because their owner neither fetched nor released them in time. */
  expiredJobs: number;
  /** Bytes currently reserved for other nodes' jobs (inputs and outputs). */
  heldForOthersBytes: number;
  /** The latest model predictions next to what happened (bounded). */
  predictions: PredictionSample[];
}

export type CompactionReply =
  | {
      ok: true;
      type: 'output';
      output: CompactionJobOutput;
      ranOn: string;
      /** Merge time where it ran (emulated tier time when the runner emulates one). */
      computeMs?: number;
      /** Time the job queued where it ran before its merge started. */
      waitMs?: number;
    }
  | { ok: true; type: 'accepted'; job: string }
  | { ok: true; type: 'ack'; job: string; file: number; offset: number }
  /** A repeated `merge` for a job whose merge is running or waiting for chunks: alive, ask again later. */
  | { ok: true; type: 'merging'; job: string }
  | {
      ok: true;
      type: 'merged';
      job: string;
      ranOn: string;
      tables: OutputTableMeta[];
      stats: CompactionJobOutput['stats'];
      computeMs: number;
      waitMs?: number;
      /** The first output chunk (table 0 from offset 0), saving the owner a round trip. */
      head?: Uint8Array;
    }
  | { ok: true; type: 'chunk'; job: string; table: number; offset: number; bytes: Uint8Array }
  | { ok: true; type: 'stats'; stats: CompactionStats }
  | { ok: false; code: string; message: string };
