import { mkdirSync, unlinkSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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
import { CorruptionError } from '../../runtime/errors.js';
import {
  decodeCompacted,
  decodeEntry,
  decodeEntryTerm,
  decodeHardState,
  decodeSnapshot,
  decodeWalSeq,
  encodeCompacted,
  encodeEntry,
  encodeHardState,
  encodeSnapshot,
  encodeWalRecord,
  encodeWalSeq,
} from './codec.js';
import { fsyncDirSync } from '../fs-node.js';
import { listSegments, readSegment, SegmentFile, truncateSegmentSync, type SegmentRef } from './wal.js';

/** When a checkpoint (tail → lmdb) starts. */
export const RAFT_LOG_DEFAULTS = {
  /**
   * Bytes of entries (entrySize) in the in-memory tail. A checkpoint encodes
   * and writes its entries in one lmdb transaction on the event loop (~0.5 µs
   * per entry), so this also bounds that pause.
   */
  checkpointBytes: 1 << 20,
  /** WAL records since the last checkpoint (saves of a hard state alone grow the WAL but not the tail). */
  checkpointRecords: 8192,
  /**
   * Entries per lmdb transaction of a checkpoint: the event loop runs saves
   * and messages between two transactions instead of pausing for the whole
   * tail. Only the last transaction records the WAL position (see writeCapture).
   */
  checkpointChunkEntries: 512,
};

export interface LmdbLogStoreOptions {
  /** Directory of the lmdb environment (created if missing); the WAL lives in its `wal/` subdirectory. */
  readonly path: string;
  /**
   * Skip fsync. Only for benchmarks that measure everything else; a store
   * opened this way breaks Raft's durability promise on power loss.
   */
  readonly unsafeNoSync?: boolean;
  /** Overrides RAFT_LOG_DEFAULTS.checkpointBytes (tests, tuning). */
  readonly checkpointBytes?: number;
  /** Overrides RAFT_LOG_DEFAULTS.checkpointRecords (tests, tuning). */
  readonly checkpointRecords?: number;
  /** Overrides RAFT_LOG_DEFAULTS.checkpointChunkEntries (tests, tuning). */
  readonly checkpointChunkEntries?: number;
  /** Tests: awaited once a checkpoint is durable in lmdb, before the tail and the WAL segments it covers are dropped. */
  readonly beforeCheckpointDrop?: () => Promise<void>;
}

/** What a checkpoint writes to lmdb: the state as of WAL record `seq`. */
interface Capture {
  readonly seq: number;
  /** Index of entries[0]. */
  readonly lo: number;
  readonly entries: readonly Entry[];
  readonly last: number;
  readonly hardState: HardState;
}

/**
 * The Raft log, term and vote on lmdb, behind a write-ahead log (layout in
 * FORMAT.md). A `save` is one WAL record: one write(2) and one device flush.
 * Entries not yet in lmdb stay in an in-memory tail; a checkpoint writes the
 * tail, the hard state and the WAL position it covers into lmdb in the
 * background and then drops the WAL segments lmdb now covers. Reads are
 * synchronous: the tail first, else lmdb (memory-mapped).
 *
 * Indexes, hard state, snapshot and tail are updated only after a save is
 * durable, so readers never see what could still be lost.
 */
export class LmdbLogStore implements LogStore {
  private readonly env: RootDatabase;
  private readonly entriesDb: Database<Buffer, number>;
  private readonly metaDb: Database<Buffer, string>;
  private readonly walDir: string;
  private readonly noSync: boolean;
  private readonly checkpointBytes: number;
  private readonly checkpointRecords: number;
  private readonly checkpointChunkEntries: number;
  private readonly beforeCheckpointDrop: (() => Promise<void>) | undefined;
  private first: number;
  private last: number;
  private compactedTerm: number;
  private hs: HardState;
  private snap: Snapshot;
  /**
   * Entries newer than lmdb's copy: indexes [tailLo, last] when non-empty
   * (a save replaces a suffix, a checkpoint drops a prefix, so it stays
   * contiguous and always ends at `last`).
   */
  private tail: Entry[] = [];
  private tailLo = 0;
  private tailBytes = 0;
  /** WAL segments on disk, oldest first; the last is `wal`'s. */
  private readonly segments: SegmentRef[];
  private wal: SegmentFile;
  private nextSeq: number;
  private recordsSinceCheckpoint = 0;
  /** The next append first starts a new segment, so the last checkpoint's segments can go. */
  private rotateWanted = false;
  /** That segment, created in the background when the checkpoint captured (named for the next record). */
  private prepared: { readonly seq: number; readonly file: Promise<SegmentFile> } | null = null;
  private checkpointing: Promise<void> | null = null;
  /** A snapshot install or compaction is writing lmdb directly: no checkpoint may start meanwhile. */
  private exclusive = false;
  /** Serialises writers: a save never overlaps another save, a snapshot install or a compaction. */
  private queue: Promise<void> = Promise.resolve();
  /** A WAL append or a checkpoint failed: the WAL may end in a partial record, so no more writes. */
  private failed: Error | null = null;
  private closed = false;
  /** Checkpoints completed by this instance (tests). */
  checkpointCount = 0;

  static open(options: LmdbLogStoreOptions): LmdbLogStore {
    return new LmdbLogStore(options);
  }

  private constructor(options: LmdbLogStoreOptions) {
    this.noSync = options.unsafeNoSync === true;
    this.checkpointBytes = options.checkpointBytes ?? RAFT_LOG_DEFAULTS.checkpointBytes;
    this.checkpointRecords = options.checkpointRecords ?? RAFT_LOG_DEFAULTS.checkpointRecords;
    this.checkpointChunkEntries = Math.max(1, options.checkpointChunkEntries ?? RAFT_LOG_DEFAULTS.checkpointChunkEntries);
    this.beforeCheckpointDrop = options.beforeCheckpointDrop;
    this.env = open({ path: options.path, noSync: this.noSync });
    this.entriesDb = this.env.openDB<Buffer, number>({ name: 'entries', encoding: 'binary' });
    this.metaDb = this.env.openDB<Buffer, string>({ name: 'meta', encoding: 'binary' });
    const hsRec = this.metaDb.get('hardState');
    this.hs = hsRec ? decodeHardState(hsRec) : EMPTY_HARD_STATE;
    const snapRec = this.metaDb.get('snapshot');
    this.snap = snapRec ? decodeSnapshot(snapRec) : EMPTY_SNAPSHOT;
    const compRec = this.metaDb.get('compacted');
    const comp = compRec ? decodeCompacted(compRec) : { index: 0, term: 0 };
    const walSeqRec = this.metaDb.get('walSeq');
    const walSeq = walSeqRec ? decodeWalSeq(walSeqRec) : 0;
    this.first = comp.index + 1;
    this.compactedTerm = comp.term;
    let last = comp.index;
    for (const k of this.entriesDb.getKeys({ reverse: true, limit: 1 })) last = Math.max(last, k);
    this.last = last;

    this.walDir = join(options.path, 'wal');
    try {
      if (mkdirSync(this.walDir, { recursive: true }) !== undefined && !this.noSync) fsyncDirSync(dirname(this.walDir));
      const { segments, nextSeq } = this.replay(walSeq);
      this.segments = segments;
      this.nextSeq = nextSeq;
      // Appends go to a new segment, or to an empty one already named for the next record.
      const tip = segments[segments.length - 1];
      this.wal = SegmentFile.openSync(this.walDir, nextSeq, this.noSync);
      if (tip === undefined || tip.seq !== nextSeq) segments.push(this.wal.ref);
      while (segments.length > 1 && segments[1]!.seq <= walSeq + 1) unlinkSync(segments.shift()!.path);
    } catch (e) {
      // A corrupt WAL: nothing is served, and the environment does not stay open behind the error.
      this.env.close().catch(() => undefined);
      throw e;
    }
  }

  /**
   * Applies every WAL record newer than lmdb's checkpoint (`walSeq`) with the
   * semantics of `save`. Segments lmdb fully covers are deleted; a torn final
   * record is cut off (it was never acknowledged).
   */
  private replay(walSeq: number): { segments: SegmentRef[]; nextSeq: number } {
    const all = listSegments(this.walDir);
    const kept: SegmentRef[] = [];
    let expected = walSeq + 1;
    for (let i = 0; i < all.length; i++) {
      const seg = all[i]!;
      const next = all[i + 1];
      if (next !== undefined && next.seq <= walSeq + 1) {
        unlinkSync(seg.path);
        continue;
      }
      const { records, tornAt } = readSegment(seg.path, next === undefined);
      for (let k = 0; k < records.length; k++) {
        const { record, offset } = records[k]!;
        const where = `raft WAL ${seg.path} at offset ${offset}`;
        if (record.seq !== seg.seq + k) throw new CorruptionError(`${where}: record ${record.seq} where ${seg.seq + k} belongs`);
        if (record.seq <= walSeq) continue;
        if (record.seq !== expected) throw new CorruptionError(`${where}: record ${record.seq} follows ${expected - 1} (records lost)`);
        const ents = record.entries.filter((e) => e.index >= this.first);
        if (ents.length > 0 && ents[0]!.index > this.last + 1) {
          throw new CorruptionError(`${where}: entries from ${ents[0]!.index} do not follow the log's last index ${this.last}`);
        }
        this.applyAppend(ents, record.hardState);
        this.recordsSinceCheckpoint++;
        expected++;
      }
      if (tornAt !== null) truncateSegmentSync(seg.path, tornAt);
      kept.push(seg);
    }
    return { segments: kept, nextSeq: expected };
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
    if (this.tail.length > 0 && index >= this.tailLo) return this.tail[index - this.tailLo]!.term;
    const rec = this.entriesDb.getBinary(index);
    if (!rec) throw new LogUnavailableError(index, this.last);
    return decodeEntryTerm(index, rec);
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo < this.first) throw new LogCompactedError(lo, this.first);
    if (hi > this.last + 1) throw new LogUnavailableError(hi - 1, this.last);
    const out: Entry[] = [];
    let size = 0;
    const add = (e: Entry): boolean => {
      size += entrySize(e);
      if (out.length > 0 && size > maxBytes) return false;
      out.push(e);
      return true;
    };
    // lmdb holds what lies below the tail; entries it holds from tailLo on are stale.
    const split = this.tail.length > 0 ? this.tailLo : this.last + 1;
    if (lo < split) {
      for (const { key, value } of this.entriesDb.getRange({ start: lo, end: Math.min(hi, split) })) {
        if (!add(decodeEntry(key, value))) return out;
      }
    }
    for (let i = Math.max(lo, split); i < hi; i++) if (!add(this.tail[i - this.tailLo]!)) return out;
    return out;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  save(batch: PersistBatch): Promise<void> {
    return this.serial(async () => {
      if (this.failed) throw this.failed;
      const s = batch.snapshot;
      if (s !== undefined && s.meta.index > this.snap.meta.index) {
        this.exclusive = true;
        try {
          await this.checkpointing;
          return await this.installSnapshot(s, batch);
        } finally {
          this.exclusive = false;
        }
      }
      const first = this.first;
      const ents = batch.entries.length > 0 && batch.entries[0]!.index < first ? batch.entries.filter((e) => e.index >= first) : batch.entries;
      // Checked before anything is written: nothing of a rejected batch may reach the disk.
      if (ents.length > 0 && ents[0]!.index > this.last + 1) throw new Error(`raft log: gap appending ${ents[0]!.index} after ${this.last}`);
      const sync = batch.sync !== false;
      if (ents.length === 0 && batch.hardState === undefined) {
        if (sync) await this.walWrite(() => this.wal.sync());
        return;
      }
      if (this.rotateWanted) await this.walWrite(() => this.rotate());
      const rec = encodeWalRecord(this.nextSeq, batch.hardState, ents);
      await this.walWrite(() => this.wal.append(rec, sync));
      this.nextSeq++;
      this.recordsSinceCheckpoint++;
      this.applyAppend(ents, batch.hardState);
      if (this.tailBytes >= this.checkpointBytes || this.recordsSinceCheckpoint >= this.checkpointRecords) this.startCheckpoint();
    });
  }

  createSnapshot(index: number, confState: ConfState, data: Uint8Array, keepEntries: number): Promise<void> {
    // Move the tail to lmdb first, in the background, so the compaction below
    // (which holds up saves) has little left to write.
    return this.checkpoint().then(() =>
      this.serial(async () => {
        if (this.failed) throw this.failed;
        if (index <= this.snap.meta.index) return;
        if (index > this.last) throw new LogUnavailableError(index, this.last);
        this.exclusive = true;
        try {
          await this.checkpointing;
          await this.compact(index, confState, data, keepEntries);
        } finally {
          this.exclusive = false;
        }
      }),
    );
  }

  private async compact(index: number, confState: ConfState, data: Uint8Array, keepEntries: number): Promise<void> {
    const snap: Snapshot = { meta: { index, term: this.term(index), confState }, data };
    const compactTo = Math.max(this.first - 1, index - keepEntries);
    const compactTerm = this.term(compactTo);
    const from = this.first;
    // Replaying WAL records across a compaction would filter their entries
    // against the new first index and could lose a truncation, so the
    // compaction is also a full checkpoint: lmdb takes the whole tail and the
    // WAL position, and no older record is ever replayed.
    const cap = this.capture();
    await this.env.transaction(() => {
      this.metaDb.putSync('snapshot', encodeSnapshot(snap));
      for (let i = from; i <= compactTo; i++) this.entriesDb.removeSync(i);
      this.metaDb.putSync('compacted', encodeCompacted(compactTo, compactTerm));
      this.writeCapture(cap, compactTo + 1);
    });
    await this.env.flushed;
    this.snap = snap;
    this.first = compactTo + 1;
    this.compactedTerm = compactTerm;
    this.clearTail();
    await this.dropSegments(cap.seq);
  }

  /**
   * Starts a checkpoint of everything saved so far unless one is running,
   * and resolves when lmdb holds it (or, if one was running, when that one
   * and then a new one are done). A failure leaves the data intact in the WAL
   * and fails later saves.
   */
  async checkpoint(): Promise<void> {
    // No await unless needed: called between two saves, the capture comes before the later one.
    if (this.checkpointing !== null) await this.checkpointing;
    // Captured between two saves, never while a record is being written.
    await this.serial(async () => {
      if (this.recordsSinceCheckpoint > 0) this.startCheckpoint();
    });
    await this.checkpointing;
  }

  /** Resolves once no save, snapshot install, compaction or checkpoint is under way (tests simulate crashes there). */
  async settled(): Promise<void> {
    for (;;) {
      const queue = this.queue;
      const checkpointing = this.checkpointing;
      await queue;
      await checkpointing;
      if (queue === this.queue && this.checkpointing === null) return;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    // A clean shutdown leaves everything in lmdb and the WAL (nearly) empty.
    if (this.failed === null) await this.checkpoint();
    this.closed = true;
    await this.queue;
    await this.checkpointing;
    // An unused prepared segment stays: it is empty and named for the next record.
    if (this.prepared !== null) await (await this.prepared.file).close();
    await this.wal.close();
    await this.env.close();
  }

  private startCheckpoint(): void {
    if (this.checkpointing !== null || this.exclusive || this.closed || this.failed) return;
    const cap = this.capture();
    this.checkpointing = this.runCheckpoint(cap).finally(() => {
      this.checkpointing = null;
    });
  }

  /**
   * The state as of the last WAL record written; called only between two
   * saves (on the serial chain). Saves append to a new segment from now on,
   * so the segments up to this point can be deleted once lmdb holds the capture.
   */
  private capture(): Capture {
    this.recordsSinceCheckpoint = 0;
    this.prepareRotation();
    return { seq: this.nextSeq - 1, lo: this.tailLo, entries: this.tail.slice(), last: this.last, hardState: this.hs };
  }

  /**
   * Puts a capture into the current lmdb write transaction: its entries from
   * `fromPos` on, except those below `minIndex`, then the WAL position.
   *
   * runCheckpoint writes the entries before `fromPos` in earlier transactions.
   * Should it stop between them (a crash), lmdb still names the previous WAL
   * position, and each entry written early lies at an index some newer WAL
   * record wrote (the tail holds only such entries), so after replay it is
   * shadowed by the tail or beyond the last index: never served, and the next
   * checkpoint overwrites or deletes it. Live readers never read lmdb at those
   * indexes either: they are at or above the tail's start until the drop.
   */
  private writeCapture(cap: Capture, minIndex = 0, fromPos = 0): void {
    for (let i = fromPos; i < cap.entries.length; i++) {
      const e = cap.entries[i]!;
      if (e.index >= minIndex) this.entriesDb.putSync(e.index, encodeEntry(e));
    }
    // Entries beyond the last index are left from before a conflict truncation.
    for (const k of this.entriesDb.getKeys({ start: cap.last + 1 })) this.entriesDb.removeSync(k);
    this.metaDb.putSync('hardState', encodeHardState(cap.hardState));
    this.metaDb.putSync('walSeq', encodeWalSeq(cap.seq));
  }

  private async runCheckpoint(cap: Capture): Promise<void> {
    try {
      const chunk = this.checkpointChunkEntries;
      let pos = 0;
      for (; cap.entries.length - pos > chunk; pos += chunk) {
        const from = pos;
        await this.env.transaction(() => {
          for (let i = from; i < from + chunk; i++) this.entriesDb.putSync(cap.entries[i]!.index, encodeEntry(cap.entries[i]!));
        });
      }
      await this.env.transaction(() => this.writeCapture(cap, 0, pos));
      await this.env.flushed;
      await this.beforeCheckpointDrop?.();
      // Drop the captured entries still current; a save since the capture may
      // have replaced some (a conflict truncation replaces a suffix, so what
      // is left to drop is a prefix).
      let k = 0;
      let bytes = 0;
      while (k < this.tail.length) {
        const e = this.tail[k]!;
        if (e !== cap.entries[e.index - cap.lo]) break;
        bytes += entrySize(e);
        k++;
      }
      if (k === this.tail.length) this.clearTail();
      else if (k > 0) {
        this.tail = this.tail.slice(k);
        this.tailLo += k;
        this.tailBytes -= bytes;
      }
      await this.dropSegments(cap.seq);
      this.checkpointCount++;
    } catch (e) {
      this.failed ??= e instanceof Error ? e : new Error(String(e));
    }
  }

  /** Deletes the segments whose records lmdb now covers (all ≤ `seq`); never the one being appended to. */
  private async dropSegments(seq: number): Promise<void> {
    while (this.segments.length > 1 && this.segments[1]!.seq <= seq + 1) {
      const seg = this.segments.shift()!;
      // A segment left behind is harmless: recovery skips and deletes it (lmdb covers its records).
      await unlink(seg.path).catch(() => undefined);
    }
  }

  /** A received snapshot replaces the log: straight to lmdb, which then covers every WAL record so far. */
  private async installSnapshot(s: Snapshot, batch: PersistBatch): Promise<void> {
    if (this.failed) throw this.failed;
    const first = s.meta.index + 1;
    const ents = batch.entries.filter((e) => e.index >= first);
    if (ents.length > 0 && ents[0]!.index > first) throw new Error(`raft log: gap appending ${ents[0]!.index} after ${s.meta.index}`);
    const hs = batch.hardState ?? this.hs;
    const seq = this.nextSeq - 1;
    await this.env.transaction(() => {
      for (const k of this.entriesDb.getKeys({})) this.entriesDb.removeSync(k);
      this.metaDb.putSync('snapshot', encodeSnapshot(s));
      this.metaDb.putSync('compacted', encodeCompacted(s.meta.index, s.meta.term));
      for (const e of ents) this.entriesDb.putSync(e.index, encodeEntry(e));
      this.metaDb.putSync('hardState', encodeHardState(hs));
      this.metaDb.putSync('walSeq', encodeWalSeq(seq));
    });
    // Always flushed (even for sync=false): the WAL records it supersedes are dropped below.
    await this.env.flushed;
    this.first = first;
    this.last = ents.length > 0 ? ents[ents.length - 1]!.index : s.meta.index;
    this.compactedTerm = s.meta.term;
    this.snap = s;
    this.hs = hs;
    this.clearTail();
    this.recordsSinceCheckpoint = 0;
    this.prepareRotation();
    await this.dropSegments(seq);
  }

  /** The effect of a durable save (or a replayed record) on the in-memory state; `ents` are already checked. */
  private applyAppend(ents: readonly Entry[], hardState: HardState | undefined): void {
    if (ents.length > 0) {
      const from = ents[0]!.index;
      if (this.tail.length > 0 && from >= this.tailLo) {
        // A conflict truncation inside the tail (or a plain append at its end).
        for (let i = from - this.tailLo; i < this.tail.length; i++) this.tailBytes -= entrySize(this.tail[i]!);
        this.tail.length = from - this.tailLo;
      } else {
        // Empty tail, or a truncation below it: the tail restarts at `from`
        // and shadows whatever lmdb holds from there on.
        this.tail = [];
        this.tailLo = from;
        this.tailBytes = 0;
      }
      for (const e of ents) {
        this.tail.push(e);
        this.tailBytes += entrySize(e);
      }
      this.last = ents[ents.length - 1]!.index;
    }
    if (hardState) this.hs = hardState;
  }

  private clearTail(): void {
    this.tail = [];
    this.tailLo = 0;
    this.tailBytes = 0;
  }

  /**
   * Has the next append start a new segment, and creates it now in the
   * background. Only between two saves: the segment is named for the next
   * record, and no record may be appended to the old one after a segment with
   * a later name exists (recovery would take the old one as covered by lmdb).
   */
  private prepareRotation(): void {
    this.rotateWanted = true;
    const seq = this.nextSeq;
    if (this.wal.ref.seq === seq || this.prepared?.seq === seq) return;
    const file = SegmentFile.open(this.walDir, seq, this.noSync);
    file.catch(() => undefined); // Reported by rotate(), which awaits it.
    this.prepared = { seq, file };
  }

  /** Starts the segment for the records from `nextSeq` on (syncing what the old one still has unsynced). */
  private async rotate(): Promise<void> {
    this.rotateWanted = false;
    const prepared = this.prepared;
    this.prepared = null;
    if (this.wal.ref.seq === this.nextSeq) return;
    if (prepared !== null && prepared.seq !== this.nextSeq) throw new Error(`raft WAL: segment ${prepared.seq} prepared for record ${this.nextSeq}`);
    const next = await (prepared?.file ?? SegmentFile.open(this.walDir, this.nextSeq, this.noSync));
    const old = this.wal;
    await old.sync();
    this.wal = next;
    this.segments.push(next.ref);
    await old.close();
  }

  /** A failed WAL write may leave a partial record behind: later appends would follow garbage, so stop. */
  private async walWrite(op: () => Promise<void>): Promise<void> {
    try {
      await op();
    } catch (e) {
      this.failed ??= e instanceof Error ? e : new Error(String(e));
      throw e;
    }
  }

  private serial(job: () => Promise<void>): Promise<void> {
    const run = this.queue.then(job);
    // Keep the chain alive after a failure; the caller still sees the error.
    this.queue = run.catch(() => undefined);
    return run;
  }
}
