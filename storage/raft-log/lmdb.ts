import { open, type Database, type RootDatabase } from 'lmdb';
import { LogCompactedError, LogUnavailableError } from '../../actors/raft/errors.js';
import type { LogStore, PersistBatch } from '../../actors/raft/storage.js';
import {
  EMPTY_HARD_STATE,
  EMPTY_SNAPSHOT,
  entrySize,
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
} from '../../actors/raft/types.js';
import {
  decodeCompacted,
  decodeEntry,
  decodeEntryTerm,
  decodeHardState,
  decodeSnapshot,
  encodeCompacted,
  encodeEntry,
  encodeHardState,
  encodeSnapshot,
} from './codec.js';

export interface LmdbLogStoreOptions {
  /** Directory of the lmdb environment (created if missing). */
  readonly path: string;
  /**
   * Skip fsync. Only for benchmarks that measure everything else; a store
   * opened this way breaks Raft's durability promise on power loss.
   */
  readonly unsafeNoSync?: boolean;
}

/**
 * The Raft log, term and vote on lmdb (layout in FORMAT.md). Reads are
 * synchronous (lmdb is memory-mapped); `save` is one write transaction per
 * Ready, committed and fsynced on lmdb-js's write thread, and resolves only
 * after the fsync, so all the entries of a Ready share one durable commit
 * (group commit) and the event loop is not blocked meanwhile.
 *
 * Indexes, hard state and snapshot are cached in memory and updated only
 * after a commit is durable, so readers never see what could still be lost.
 */
export class LmdbLogStore implements LogStore {
  private readonly env: RootDatabase;
  private readonly entriesDb: Database<Buffer, number>;
  private readonly metaDb: Database<Buffer, string>;
  private first: number;
  private last: number;
  private compactedTerm: number;
  private hs: HardState;
  private snap: Snapshot;
  /** Serialises writers: a save never overlaps another save or a compaction. */
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  static open(options: LmdbLogStoreOptions): LmdbLogStore {
    return new LmdbLogStore(options);
  }

  private constructor(options: LmdbLogStoreOptions) {
    this.env = open({ path: options.path, noSync: options.unsafeNoSync === true });
    this.entriesDb = this.env.openDB<Buffer, number>({ name: 'entries', encoding: 'binary' });
    this.metaDb = this.env.openDB<Buffer, string>({ name: 'meta', encoding: 'binary' });
    const hsRec = this.metaDb.get('hardState');
    this.hs = hsRec ? decodeHardState(hsRec) : EMPTY_HARD_STATE;
    const snapRec = this.metaDb.get('snapshot');
    this.snap = snapRec ? decodeSnapshot(snapRec) : EMPTY_SNAPSHOT;
    const compRec = this.metaDb.get('compacted');
    const comp = compRec ? decodeCompacted(compRec) : { index: 0, term: 0 };
    this.first = comp.index + 1;
    this.compactedTerm = comp.term;
    let last = comp.index;
    for (const k of this.entriesDb.getKeys({ reverse: true, limit: 1 })) last = k;
    this.last = last;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hs, confState: this.snap.meta.confState };
  }

  firstIndex(): number {
    return this.first;
  }

  lastIndex(): number {
    return this.last;
  }

  term(index: number): number {
    if (index < this.first - 1) throw new LogCompactedError(index, this.first);
    if (index > this.last) throw new LogUnavailableError(index, this.last);
    if (index === this.first - 1) return this.compactedTerm;
    const rec = this.entriesDb.getBinary(index);
    if (!rec) throw new LogUnavailableError(index, this.last);
    return decodeEntryTerm(index, rec);
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo < this.first) throw new LogCompactedError(lo, this.first);
    if (hi > this.last + 1) throw new LogUnavailableError(hi - 1, this.last);
    const out: Entry[] = [];
    let size = 0;
    for (const { key, value } of this.entriesDb.getRange({ start: lo, end: hi })) {
      const e = decodeEntry(key, value);
      size += entrySize(e);
      if (out.length > 0 && size > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  save(batch: PersistBatch): Promise<void> {
    return this.serial(async () => {
      let first = this.first;
      let last = this.last;
      let compactedTerm = this.compactedTerm;
      let snap = this.snap;
      const s = batch.snapshot;
      const installSnapshot = s !== undefined && s.meta.index > this.snap.meta.index;
      if (installSnapshot) {
        first = s.meta.index + 1;
        last = s.meta.index;
        compactedTerm = s.meta.term;
        snap = s;
      }
      const ents = batch.entries.filter((e) => e.index >= first);
      const from = ents.length > 0 ? ents[0]!.index : 0;
      // Checked before the transaction: nothing of a rejected batch may be written.
      if (ents.length > 0 && from > last + 1) throw new Error(`raft log: gap appending ${from} after ${last}`);
      const truncateTo = last;
      if (ents.length > 0) last = ents[ents.length - 1]!.index;
      // An asynchronous write transaction: lmdb-js runs the commit and its fsync on its
      // write thread, so this thread keeps receiving and sending (a leader handles its
      // followers' acknowledgements while its own fsync runs; Raft thesis §10.2.1). The
      // writes of one Ready are one transaction, one durable commit.
      await this.env.transaction(() => {
        if (installSnapshot) {
          for (const k of this.entriesDb.getKeys({})) this.entriesDb.removeSync(k);
          this.metaDb.putSync('snapshot', encodeSnapshot(s));
          this.metaDb.putSync('compacted', encodeCompacted(s.meta.index, s.meta.term));
        }
        if (ents.length > 0) {
          // A conflict truncation: everything from `from` on is replaced.
          for (let i = from; i <= truncateTo; i++) this.entriesDb.removeSync(i);
          for (const e of ents) this.entriesDb.putSync(e.index, encodeEntry(e));
        }
        if (batch.hardState) this.metaDb.putSync('hardState', encodeHardState(batch.hardState));
      });
      if (batch.sync !== false) await this.env.flushed;
      this.first = first;
      this.last = last;
      this.compactedTerm = compactedTerm;
      this.snap = snap;
      if (batch.hardState) this.hs = batch.hardState;
    });
  }

  createSnapshot(index: number, confState: ConfState, data: Uint8Array, keepEntries: number): Promise<void> {
    return this.serial(async () => {
      if (index <= this.snap.meta.index) return;
      if (index > this.last) throw new LogUnavailableError(index, this.last);
      const snap: Snapshot = { meta: { index, term: this.term(index), confState }, data };
      const compactTo = Math.max(this.first - 1, index - keepEntries);
      const compactTerm = this.term(compactTo);
      const from = this.first;
      await this.env.transaction(() => {
        this.metaDb.putSync('snapshot', encodeSnapshot(snap));
        for (let i = from; i <= compactTo; i++) this.entriesDb.removeSync(i);
        this.metaDb.putSync('compacted', encodeCompacted(compactTo, compactTerm));
      });
      await this.env.flushed;
      this.snap = snap;
      this.first = compactTo + 1;
      this.compactedTerm = compactTerm;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    await this.env.close();
  }

  private serial(job: () => Promise<void>): Promise<void> {
    const run = this.tail.then(job);
    // Keep the chain alive after a failure; the caller still sees the error.
    this.tail = run.catch(() => undefined);
    return run;
  }
}
