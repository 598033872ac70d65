import type { ConfState, Entry, HardState, Snapshot } from './types.js';

/**
 * The durable log as the core sees it: synchronous reads only. The core never
 * writes; the member persists what `Ready` hands out and then calls `advance`.
 * Indexes below `firstIndex()` are compacted into `snapshot()`.
 */
export interface LogReader {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), at least one if any, and otherwise at most `maxBytes` of them. */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /**
   * Term of the entry at `index`; valid for firstIndex()-1 (the snapshot's
   * last entry) through lastIndex(). Throws LogCompactedError below that
   * and LogUnavailableError above.
   */
  term(index: number): number;
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}

/** What one `Ready` asks to make durable, all in one group commit. */
export interface PersistBatch {
  readonly hardState?: HardState;
  /** Entries to append; an entry at an existing index replaces it and everything after it. */
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader: replaces the whole log up to its index. */
  readonly snapshot?: Snapshot;
  /**
   * false: the batch may stay unsynced until a later save (Ready.mustSync was
   * false). Default true.
   */
  readonly sync?: boolean;
}

/** The writable log store a member owns (lmdb in production, memory in the simulator). */
export interface LogStore extends LogReader {
  /** Resolves once everything in `batch` is durable (fsynced). */
  save(batch: PersistBatch): Promise<void>;
  /**
   * Records a snapshot the local state machine took at `index` (already
   * applied) and compacts entries before `index - keepEntries`.
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array, keepEntries: number): Promise<void>;
  close(): Promise<void>;
}
