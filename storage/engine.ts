import { RealClock, type Clock } from '../runtime/clock.js';
import { BlockCache } from './block-cache.js';
import { encodeSnapshot, restoreSnapshot } from './engine-snapshot.js';
import { decodeChunk, encodeChunk } from './range-transfer.js';
import { bloomHash } from './bloom.js';
import { estimatePendingCompactionBytes, pickCompaction, type LevelOptions, type PickedCompaction } from './compaction-picker.js';
import { LSM_DEFAULTS } from './defaults.js';
import { InvalidArgumentError } from '../runtime/errors.js';
import { CorruptionError, EngineClosedError, KeyTooLargeError, ValueTooLargeError } from './errors.js';
import { parseFileName, tableFileName, walFileName } from './filenames.js';
import { flushInputOf, runFlushJob } from './flush-job.js';
import { joinPath, type FileLock, type FileSystem } from './fs.js';
import { compareKeys, ValueType, type InternalIterator, type LookupResult } from './internal-key.js';
import { InlineJobRunner, type StorageJobRunner } from './job-runner.js';
import { encodeKey, keyspaceTag, storedRange, type Keyspace } from './keyspace.js';
import { LevelIterator } from './level-iterator.js';
import { Memtable } from './memtable.js';
import { MergingIterator } from './merging-iterator.js';
import type { TableBuilderOptions } from './sstable-builder.js';
import type { TableProperties } from './sstable-format.js';
import { TableCache } from './table-cache.js';
import { Version, type FileMeta } from './version.js';
import type { VersionEdit } from './version-edit.js';
import { VersionSet } from './version-set.js';
import { readWal, type WalRecoveryMode } from './wal-reader.js';
import { WalWriter } from './wal-writer.js';
import { WriteController } from './write-controller.js';
import type { BatchOp } from './write-batch.js';
import type { LsmTuning } from './defaults.js';
import type { EngineOptions, EngineStats, Entry, ScanOptions, WriteOp, WriteOptions } from './engine-options.js';

export type { EngineOptions, EngineStats, Entry, LevelStats, ScanOptions, WriteOp, WriteOptions } from './engine-options.js';

interface QueuedWrite {
  ops: BatchOp[];
  bytes: number;
  opts: WriteOptions;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const EMPTY = Buffer.alloc(0);
const NO_OPTIONS: WriteOptions = Object.freeze({});

/** The LSM storage engine: one directory, two keyspaces, RocksDB-style leveled compaction. */
export class LsmEngine {
  readonly o: LsmTuning;
  private readonly fs: FileSystem;
  readonly dir: string;
  private readonly clock: Clock;
  private readonly jobs: StorageJobRunner;
  private readonly walEnabled: boolean;
  private readonly autoCompactions: boolean;
  private readonly levelOpts: LevelOptions;
  private readonly tableOpts: TableBuilderOptions;
  private readonly versions: VersionSet;
  private readonly blockCache: BlockCache;
  private readonly tables: TableCache;
  private readonly controller: WriteController;
  private readonly onCorruption: ((err: CorruptionError) => void) | null;

  private mem: Memtable;
  private imm: Memtable[] = [];
  private wal: WalWriter | null = null;
  private seq = 0;
  private appliedIndexV = 0;

  private group: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | null = null;
  private commitSync = false;
  private queue: QueuedWrite[] = [];
  private queueRunning = false;

  private flushRunning = false;
  private runningCompactions = 0;
  private manualCompaction = false;
  private readonly busy = new Set<number>();
  private readonly pendingOutputs = new Set<number>();
  private readonly pinned = new Set<Version>();
  private waiters: (() => void)[] = [];
  private bgError: Error | null = null;
  private closed = false;
  private bgScheduled = false;
  private lookupScratch = Buffer.allocUnsafe(256);
  /** The directory's LOCK, held from open to close. */
  private dirLock: FileLock | null = null;

  private readonly counters = {
    flushes: 0,
    compactions: 0,
    trivialMoves: 0,
    compactionBytesRead: 0,
    compactionBytesWritten: 0,
    flushBytesWritten: 0,
    corruptions: 0,
  };
  private readonly recoveryInfo = { walBatchesReplayed: 0, walCorruption: null as string | null, tornWalTail: false };

  private constructor(options: EngineOptions) {
    const tuning = { ...LSM_DEFAULTS } as LsmTuning;
    for (const k of Object.keys(LSM_DEFAULTS) as (keyof LsmTuning)[]) {
      const v = options[k];
      if (v !== undefined) tuning[k] = v;
    }
    this.o = tuning;
    this.fs = options.fs;
    this.dir = options.dir;
    this.clock = options.clock ?? new RealClock();
    this.jobs = options.jobs ?? new InlineJobRunner();
    this.walEnabled = options.wal ?? true;
    this.autoCompactions = options.autoCompactions ?? true;
    const userHook = options.onCorruption ?? null;
    this.onCorruption = (err) => {
      this.counters.corruptions++;
      userHook?.(err);
    };
    this.levelOpts = {
      numLevels: tuning.numLevels,
      level0FileNumCompactionTrigger: tuning.level0FileNumCompactionTrigger,
      maxBytesForLevelBaseBytes: tuning.maxBytesForLevelBaseBytes,
      maxBytesForLevelMultiplier: tuning.maxBytesForLevelMultiplier,
      targetFileSizeBaseBytes: tuning.targetFileSizeBaseBytes,
      targetFileSizeMultiplier: tuning.targetFileSizeMultiplier,
      maxCompactionBytesFactor: tuning.maxCompactionBytesFactor,
    };
    this.tableOpts = {
      blockSizeBytes: tuning.blockSizeBytes,
      blockRestartInterval: tuning.blockRestartInterval,
      bloomBitsPerKey: tuning.bloomBitsPerKey,
    };
    this.versions = new VersionSet(this.fs, this.dir, tuning.numLevels, tuning.maxManifestFileSizeBytes);
    this.blockCache = new BlockCache(tuning.blockCacheSizeBytes);
    this.tables = new TableCache(this.fs, this.dir, this.blockCache, tuning.tableCacheCapacity, this.onCorruption, (n) => !this.isPinned(n));
    this.controller = new WriteController(this.clock, {
      maxWriteBufferNumber: tuning.maxWriteBufferNumber,
      level0SlowdownWritesTrigger: tuning.level0SlowdownWritesTrigger,
      level0StopWritesTrigger: tuning.level0StopWritesTrigger,
      softPendingCompactionBytesLimit: tuning.softPendingCompactionBytesLimit,
      hardPendingCompactionBytesLimit: tuning.hardPendingCompactionBytesLimit,
      disableAutoCompactions: !this.autoCompactions,
      delayedWriteRateBytesPerSec: tuning.delayedWriteRateBytesPerSec,
      minDelayedWriteRateBytesPerSec: tuning.minDelayedWriteRateBytesPerSec,
      slowdownRateDecreaseRatio: tuning.slowdownRateDecreaseRatio,
      delayRefillIntervalMs: tuning.delayRefillIntervalMs,
    });
    this.mem = new Memtable(0);
  }

  /**
   * Opens (or creates) the engine in `dir`: loads the manifest, replays WALs
   * newer than it into a table, starts a new WAL and drops unreferenced files.
   */
  static async open(options: EngineOptions): Promise<LsmEngine> {
    options.fs.mkdirp(options.dir);
    return LsmEngine.openLocked(options, options.fs.lockDir(options.dir));
  }

  /** Opens with the directory's lock already held; gives the lock back if the open fails. */
  private static openLocked(options: EngineOptions, lock: FileLock): LsmEngine {
    let e: LsmEngine | undefined;
    try {
      e = new LsmEngine(options);
      e.dirLock = lock;
      e.recover(options.walRecovery ?? 'point-in-time');
    } catch (err) {
      try {
        e?.tables.close();
        e?.versions.close();
      } catch {
        // Closing after a failed recovery is best effort; the error that matters is `err`.
      }
      lock.release();
      throw err;
    }
    e.updateStall();
    e.scheduleBackground();
    return e;
  }

  private recover(mode: WalRecoveryMode): void {
    this.versions.recover();
    this.seq = this.versions.lastSequence;
    this.appliedIndexV = this.versions.appliedIndex;
    const names = this.fs.list(this.dir);
    // Replay WALs the manifest does not cover yet, oldest first, up to the first damage.
    const wals = names
      .map(parseFileName)
      .filter((p): p is { kind: 'wal'; number: number } => p.kind === 'wal' && p.number >= this.versions.logNumber)
      .map((p) => p.number)
      .sort((a, b) => a - b);
    const replay = new Memtable(0);
    let stopped = false;
    for (const n of wals) {
      if (stopped) break;
      // Each batch goes into the memtable as it is decoded (the memtable copies the bytes).
      const r = readWal(this.fs, joinPath(this.dir, walFileName(n)), mode, (b) => {
        let s = b.firstSeq;
        for (const op of b.ops) replay.add(s++, op.type, op.key, op.value);
        if (s - 1 > this.seq) this.seq = s - 1;
        if (b.appliedIndex > replay.maxAppliedIndex) replay.maxAppliedIndex = b.appliedIndex;
        this.recoveryInfo.walBatchesReplayed++;
      });
      if (r.tornTailAt !== null) {
        this.recoveryInfo.tornWalTail = true;
        // Only the newest WAL can end mid-record (older ones are synced when retired);
        // stopping here keeps the replay a prefix of the writes in any case.
        stopped = true;
      }
      if (r.corruption !== null) {
        this.recoveryInfo.walCorruption = r.corruption.message;
        this.onCorruption?.(r.corruption);
        stopped = true;
      }
    }
    // A fresh manifest per open keeps the edit log short (LevelDB does the same).
    this.versions.rotateManifest();
    const edit: VersionEdit = { added: [], deleted: [], lastSequence: this.seq };
    if (replay.count > 0) {
      // Recovered writes go straight to L0 so the old WALs can be dropped.
      const number = this.versions.newFileNumber();
      const out = runFlushJob(flushInputOf(replay, this.tableOpts));
      this.writeTableFile(number, out.bytes);
      this.fs.syncDir(this.dir);
      edit.added.push({ level: 0, file: metaOf(number, out.bytes.length, out.props) });
      edit.appliedIndex = replay.maxAppliedIndex;
      this.appliedIndexV = Math.max(this.appliedIndexV, replay.maxAppliedIndex);
    }
    if (this.walEnabled) {
      const number = this.versions.newFileNumber();
      this.wal = new WalWriter(this.fs.create(joinPath(this.dir, walFileName(number))), number, this.o.walBufferBytes);
      this.fs.syncDir(this.dir);
      this.mem = new Memtable(number);
      edit.logNumber = number;
    } else {
      edit.logNumber = this.versions.nextFileNumber;
    }
    this.versions.logAndApply(edit);
    this.deleteObsoleteFiles();
  }

  // ---------------------------------------------------------------- writes

  private check(): void {
    if (this.closed) throw new EngineClosedError('closed');
    if (this.bgError !== null) throw new EngineClosedError(`background error: ${this.bgError.message}`, { cause: this.bgError });
  }

  private makeOp(ks: Keyspace, key: Uint8Array, value: Uint8Array | undefined): BatchOp {
    const tag = keyspaceTag(ks);
    if (!(key instanceof Uint8Array)) throw new InvalidArgumentError('key must be a Buffer or Uint8Array');
    if (key.length > this.o.maxKeySizeBytes) throw new KeyTooLargeError(key.length, this.o.maxKeySizeBytes);
    if (value === undefined) return { type: ValueType.Deletion, key: encodeKey(tag, key), value: EMPTY };
    if (!(value instanceof Uint8Array)) throw new InvalidArgumentError('value must be a Buffer or Uint8Array');
    if (value.length > this.o.maxValueSizeBytes) throw new ValueTooLargeError(value.length, this.o.maxValueSizeBytes);
    // Copy: the caller may reuse its buffer once put() returns.
    const v = Buffer.allocUnsafe(value.length);
    v.set(value);
    return { type: ValueType.Value, key: encodeKey(tag, key), value: v };
  }

  put(keyspace: Keyspace, key: Uint8Array, value: Uint8Array, opts: WriteOptions = NO_OPTIONS): Promise<void> {
    return this.single(ValueType.Value, keyspace, key, value, opts);
  }

  delete(keyspace: Keyspace, key: Uint8Array, opts: WriteOptions = NO_OPTIONS): Promise<void> {
    return this.single(ValueType.Deletion, keyspace, key, EMPTY, opts);
  }

  /** One put or delete. With no stall and no Raft index it skips the batch machinery entirely. */
  private single(type: ValueType, keyspace: Keyspace, key: Uint8Array, value: Uint8Array, opts: WriteOptions): Promise<void> {
    try {
      this.check();
      if (this.queue.length > 0 || this.controller.current.condition !== 'normal' || opts.appliedIndex !== undefined) {
        return this.submit([this.makeOp(keyspace, key, type === ValueType.Value ? value : undefined)], opts);
      }
      const tag = keyspaceTag(keyspace);
      if (!(key instanceof Uint8Array)) throw new InvalidArgumentError('key must be a Buffer or Uint8Array');
      if (key.length > this.o.maxKeySizeBytes) throw new KeyTooLargeError(key.length, this.o.maxKeySizeBytes);
      if (!(value instanceof Uint8Array)) throw new InvalidArgumentError('value must be a Buffer or Uint8Array');
      if (value.length > this.o.maxValueSizeBytes) throw new ValueTooLargeError(value.length, this.o.maxValueSizeBytes);
      const seq = ++this.seq;
      if (this.wal !== null) this.wal.addSingle(seq, 0, type, tag, key, value);
      const mem = this.mem;
      mem.addTagged(seq, type, tag, key, value);
      if (mem.approximateBytes >= this.o.writeBufferSizeBytes) this.switchMemtable();
      return this.commitPromise(opts.sync === true);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Applies all ops atomically (one WAL record, consecutive sequence numbers). */
  write(ops: readonly WriteOp[], opts: WriteOptions = {}): Promise<void> {
    try {
      this.check();
      const batch = ops.map((op) => this.makeOp(op.keyspace, op.key, op.value));
      if (batch.length === 0 && opts.appliedIndex === undefined) return Promise.resolve();
      return this.submit(batch, opts);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private submit(ops: BatchOp[], opts: WriteOptions): Promise<void> {
    if (opts.appliedIndex !== undefined && (!Number.isSafeInteger(opts.appliedIndex) || opts.appliedIndex < 0)) {
      return Promise.reject(new InvalidArgumentError(`appliedIndex must be a non-negative integer, got ${opts.appliedIndex}`));
    }
    if (this.queue.length === 0 && this.controller.current.condition === 'normal') {
      this.apply(ops, opts);
      return this.commitPromise(opts.sync === true);
    }
    let bytes = 0;
    for (const op of ops) bytes += op.key.length + op.value.length;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, bytes, opts, resolve, reject });
      void this.drainQueue();
    });
  }

  private apply(ops: BatchOp[], opts: WriteOptions): void {
    const first = this.seq + 1;
    const applied = opts.appliedIndex ?? 0;
    if (this.wal !== null) this.wal.addBatch(first, applied, ops);
    const mem = this.mem;
    let s = first;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      mem.add(s++, op.type, op.key, op.value);
    }
    this.seq = s - 1;
    if (applied > mem.maxAppliedIndex) mem.maxAppliedIndex = applied;
    if (applied > this.appliedIndexV) this.appliedIndexV = applied;
    if (mem.approximateBytes >= this.o.writeBufferSizeBytes) this.switchMemtable();
  }

  /**
   * Applies `ops` (one atomic batch) to the memtable now, synchronously,
   * recording `appliedIndex`: for a Raft state machine, whose apply must be
   * synchronous and whose log is the WAL. It does not wait for a write stall:
   * the caller is responsible for awaiting `whenWritable()` before applying
   * (a Raft member does so before each batch of committed entries). A full
   * memtable is switched and flushed in the background as usual. With the WAL
   * on, the record is written at the end of this event-loop turn (a failure
   * there becomes the engine's background error).
   */
  applyNow(ops: readonly WriteOp[], appliedIndex: number): void {
    this.check();
    if (!Number.isSafeInteger(appliedIndex) || appliedIndex < 0) {
      throw new InvalidArgumentError(`appliedIndex must be a non-negative integer, got ${appliedIndex}`);
    }
    const batch = ops.map((op) => this.makeOp(op.keyspace, op.key, op.value));
    this.apply(batch, { appliedIndex });
    if (this.wal !== null) this.commitPromise(false).catch(() => {});
  }

  /**
   * null when a write may go now; otherwise resolves once a write of about
   * `bytes` may go: after a stop has cleared (a flush or compaction caught up)
   * and after the delay the current delayed-write rate asks for. The wait is
   * counted in the stall statistics. Rejects when the engine is closed or
   * failed in the background.
   */
  whenWritable(bytes = 0): Promise<void> | null {
    if (this.controller.current.condition === 'normal' && this.bgError === null && !this.closed) return null;
    return this.waitWritable(bytes);
  }

  private async waitWritable(bytes: number): Promise<void> {
    try {
      for (;;) {
        this.check();
        const state = this.controller.current;
        if (state.condition === 'stopped') {
          this.controller.beginStall('stopped', state.cause!);
          this.scheduleBackground();
          await this.waitForChange();
          continue;
        }
        if (state.condition === 'delayed') {
          const delayMs = this.controller.delayFor(bytes);
          if (delayMs > 0) {
            this.controller.beginStall('delayed', state.cause!);
            await new Promise<void>((r) => this.clock.setTimeout(r, delayMs));
            this.controller.endStall();
            // Paid for: only a stop that began meanwhile holds the write back further.
            bytes = 0;
            continue;
          }
        }
        return;
      }
    } finally {
      this.controller.endStall();
    }
  }

  /** Group commit: every write of this tick shares one write(2) (and one fsync if any asked). */
  private commitPromise(sync: boolean): Promise<void> {
    if (sync) this.commitSync = true;
    if (this.group === null) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.group = { promise, resolve, reject };
      // End of the event-loop turn: every write issued this turn shares the write(2).
      setImmediate(() => this.commit());
    }
    return this.group.promise;
  }

  private commit(): void {
    const group = this.group!;
    const sync = this.commitSync;
    this.group = null;
    this.commitSync = false;
    try {
      if (this.wal !== null) {
        if (sync) this.wal.sync();
        else this.wal.flush();
      }
    } catch (e) {
      this.setBackgroundError(e as Error);
      group.reject(e);
      return;
    }
    group.resolve();
  }

  /** Writes held back by a stall go through here, one at a time, in order. */
  private async drainQueue(): Promise<void> {
    if (this.queueRunning) return;
    this.queueRunning = true;
    try {
      while (this.queue.length > 0) {
        const w = this.queue[0]!;
        if (this.closed || this.bgError !== null) {
          const err = this.closed ? new EngineClosedError('closed') : new EngineClosedError(`background error: ${this.bgError!.message}`);
          for (const q of this.queue.splice(0)) q.reject(err);
          break;
        }
        const state = this.controller.current;
        if (state.condition === 'stopped') {
          this.controller.beginStall('stopped', state.cause!);
          await this.waitForChange();
          continue;
        }
        if (state.condition === 'delayed') {
          const delayMs = this.controller.delayFor(w.bytes);
          if (delayMs > 0) {
            this.controller.beginStall('delayed', state.cause!);
            await new Promise<void>((r) => this.clock.setTimeout(r, delayMs));
            this.controller.endStall();
            // Re-check: the state may have changed while this write slept.
            if (this.controller.current.condition === 'stopped') continue;
          }
        }
        this.controller.endStall();
        this.queue.shift();
        try {
          this.apply(w.ops, w.opts);
          this.commitPromise(w.opts.sync === true).then(w.resolve, w.reject);
        } catch (e) {
          w.reject(e);
        }
      }
    } finally {
      this.controller.endStall();
      this.queueRunning = false;
    }
  }

  private waitForChange(): Promise<void> {
    return new Promise<void>((r) => this.waiters.push(r));
  }

  private notify(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  private switchMemtable(): void {
    let walNumber = 0;
    if (this.wal !== null) {
      // Synced before the next WAL takes writes: a later synced write must never
      // survive a power loss that takes unsynced earlier ones (recovery replays a prefix).
      this.wal.sync();
      this.wal.close();
      walNumber = this.versions.newFileNumber();
      this.wal = new WalWriter(this.fs.create(joinPath(this.dir, walFileName(walNumber))), walNumber, this.o.walBufferBytes);
      this.fs.syncDir(this.dir);
    }
    this.imm.push(this.mem);
    this.mem = new Memtable(walNumber);
    this.updateStall();
    // Start the flush now rather than on a timer: a busy writer may not yield for a while.
    this.runBackground();
  }

  // ---------------------------------------------------------------- reads

  private lookup(stored: Buffer): LookupResult | null {
    let r = this.mem.get(stored);
    if (r !== null) return r;
    for (let i = this.imm.length - 1; i >= 0; i--) {
      r = this.imm[i]!.get(stored);
      if (r !== null) return r;
    }
    const v = this.versions.current;
    const hash = bloomHash(stored);
    for (const f of v.levels[0]!) {
      if (compareKeys(stored, f.smallest) < 0 || compareKeys(stored, f.largest) > 0) continue;
      r = this.tables.get(f).get(stored, hash);
      if (r !== null) return r;
    }
    for (let level = 1; level < v.levels.length; level++) {
      const files = v.levels[level]!;
      if (files.length === 0) continue;
      const i = v.findFile(level, stored);
      if (i >= files.length) continue;
      const f = files[i]!;
      if (compareKeys(stored, f.smallest) < 0) continue;
      r = this.tables.get(f).get(stored, hash);
      if (r !== null) return r;
    }
    return null;
  }

  /** The value of `key`, or undefined. A damaged block throws CorruptionError instead of answering. */
  get(keyspace: Keyspace, key: Uint8Array): Buffer | undefined {
    if (this.closed) throw new EngineClosedError('closed');
    const tag = keyspaceTag(keyspace);
    // A reused buffer for the tagged key: lookups copy nothing they keep.
    if (key.length + 1 > this.lookupScratch.length) this.lookupScratch = Buffer.allocUnsafe(Math.max(key.length + 1, this.lookupScratch.length * 2));
    this.lookupScratch[0] = tag;
    this.lookupScratch.set(key, 1);
    const r = this.lookup(this.lookupScratch.subarray(0, key.length + 1));
    if (r === null || r.type === ValueType.Deletion) return undefined;
    return Buffer.from(r.value);
  }

  /**
   * Live entries of a keyspace in key order, from a consistent view taken at
   * the call: later writes and compactions do not change what it yields.
   */
  iterate(keyspace: Keyspace, opts: ScanOptions = {}): Generator<Entry, void, undefined> {
    if (this.closed) throw new EngineClosedError('closed');
    const tag = keyspaceTag(keyspace);
    const { lo, hi } = storedRange(tag, opts.start, opts.end);
    // The view is taken now, at the call, not at the first next(): generators start lazily.
    const snapshotSeq = this.seq;
    const version = this.versions.current;
    version.ref();
    this.pinned.add(version);
    const children: InternalIterator[] = [this.mem.iterator(snapshotSeq), ...this.imm.map((m) => m.iterator(snapshotSeq))];
    try {
      for (const f of version.levels[0]!) children.push(this.tables.get(f).iterator());
    } catch (e) {
      this.unpin(version);
      throw e;
    }
    for (let level = 1; level < version.levels.length; level++) {
      const files = version.levels[level]!;
      if (files.length > 0) children.push(new LevelIterator(files, this.tables));
    }
    return this.walk(new MergingIterator(children), version, snapshotSeq, lo, hi, opts.limit ?? Infinity);
  }

  private unpin(version: Version): void {
    version.unref();
    if (!version.pinned) this.pinned.delete(version);
    if (!this.closed && !version.pinned && version !== this.versions.current) this.deleteObsoleteFilesSafely();
  }

  private *walk(it: MergingIterator, version: Version, snapshotSeq: number, lo: Buffer, hi: Buffer, limit: number): Generator<Entry, void, undefined> {
    let yielded = 0;
    try {
      it.seek(lo);
      let last: Buffer | null = null;
      while (it.valid() && yielded < limit) {
        const key = it.key();
        if (compareKeys(key, hi) >= 0) break;
        if (it.seq() > snapshotSeq || (last !== null && last.equals(key))) {
          it.next();
          continue;
        }
        last = key;
        if (it.type() === ValueType.Value) {
          yielded++;
          yield { key: Buffer.from(key.subarray(1)), value: Buffer.from(it.value()) };
        }
        it.next();
      }
    } finally {
      it.close();
      this.unpin(version);
    }
  }

  scan(keyspace: Keyspace, opts: ScanOptions = {}): Entry[] {
    return [...this.iterate(keyspace, opts)];
  }

  // ---------------------------------------------------------------- background work

  private scheduleBackground(): void {
    if (this.bgScheduled || this.closed) return;
    this.bgScheduled = true;
    this.clock.setTimeout(() => {
      this.bgScheduled = false;
      this.runBackground();
    }, 0);
  }

  private runBackground(): void {
    if (this.closed || this.bgError !== null) return;
    if (!this.flushRunning && this.imm.length > 0) {
      this.flushRunning = true;
      this.flushOldest().then(
        () => {
          this.flushRunning = false;
          this.afterBackgroundWork();
        },
        (e: unknown) => {
          this.flushRunning = false;
          this.setBackgroundError(e as Error);
        },
      );
    }
    if (!this.autoCompactions || this.manualCompaction) return;
    while (this.runningCompactions < this.o.maxBackgroundCompactions) {
      const pick = pickCompaction(this.versions.current, this.busy, this.levelOpts);
      if (pick === null) break;
      this.startCompaction(pick);
    }
  }

  private startCompaction(pick: PickedCompaction): void {
    for (const f of [...pick.inputs, ...pick.outputInputs]) this.busy.add(f.number);
    this.runningCompactions++;
    this.runCompaction(pick).then(
      () => {
        this.releaseCompaction(pick);
        this.afterBackgroundWork();
      },
      (e: unknown) => {
        this.releaseCompaction(pick);
        this.setBackgroundError(e as Error);
      },
    );
  }

  private releaseCompaction(pick: PickedCompaction): void {
    for (const f of [...pick.inputs, ...pick.outputInputs]) this.busy.delete(f.number);
    this.runningCompactions--;
  }

  private afterBackgroundWork(): void {
    if (this.closed) {
      this.notify();
      return;
    }
    this.deleteObsoleteFilesSafely();
    this.updateStall();
    this.notify();
    this.scheduleBackground();
  }

  private setBackgroundError(e: Error): void {
    if (this.bgError === null) this.bgError = e;
    this.notify();
    for (const q of this.queue.splice(0)) q.reject(new EngineClosedError(`background error: ${e.message}`, { cause: e }));
  }

  private writeTableFile(number: number, bytes: Uint8Array): void {
    const f = this.fs.create(joinPath(this.dir, tableFileName(number)));
    try {
      f.append(bytes);
      f.sync();
    } finally {
      f.close();
    }
  }

  /** Background table writes go through the async path so the event loop keeps serving. */
  private writeTableFileAsync(number: number, bytes: Uint8Array): Promise<void> {
    return this.fs.writeFileDurable(joinPath(this.dir, tableFileName(number)), bytes);
  }

  private async flushOldest(): Promise<void> {
    const m = this.imm[0]!;
    const number = this.versions.newFileNumber();
    this.pendingOutputs.add(number);
    try {
      const edit: VersionEdit = {
        added: [],
        deleted: [],
        // Everything in WALs older than the next unflushed memtable's is now in tables.
        logNumber: this.imm.length > 1 ? this.imm[1]!.walNumber || this.versions.nextFileNumber : this.mem.walNumber || this.versions.nextFileNumber,
        lastSequence: m.lastSeq,
        appliedIndex: m.maxAppliedIndex,
      };
      if (m.count > 0) {
        const out = await this.jobs.flush(flushInputOf(m, this.tableOpts));
        await this.writeTableFileAsync(number, out.bytes);
        this.fs.syncDir(this.dir);
        edit.added.push({ level: 0, file: metaOf(number, out.bytes.length, out.props) });
        this.counters.flushBytesWritten += out.bytes.length;
      }
      this.versions.logAndApply(edit);
      this.imm.shift();
      this.counters.flushes++;
    } finally {
      this.pendingOutputs.delete(number);
    }
  }

  private readInputs(files: readonly FileMeta[]): Uint8Array[] {
    return files.map((f) => this.fs.readFile(joinPath(this.dir, tableFileName(f.number))));
  }

  private async runCompaction(pick: PickedCompaction): Promise<void> {
    const deleted = [
      ...pick.inputs.map((f) => ({ level: pick.level, number: f.number })),
      ...pick.outputInputs.map((f) => ({ level: pick.outputLevel, number: f.number })),
    ];
    if (pick.trivialMove) {
      this.versions.logAndApply({ added: [{ level: pick.outputLevel, file: pick.inputs[0]! }], deleted });
      this.counters.trivialMoves++;
      return;
    }
    const files = [...pick.inputs, ...pick.outputInputs];
    const inputs = this.readInputs(files);
    let inputBytes = 0;
    for (const b of inputs) inputBytes += b.byteLength;
    let out;
    try {
      out = await this.jobs.compact({
        inputs,
        targetFileSizeBytes: pick.targetFileSizeBytes,
        dropTombstones: pick.dropTombstones,
        table: this.tableOpts,
      });
    } catch (e) {
      if (e instanceof CorruptionError) this.onCorruption?.(e);
      throw e;
    }
    if (this.closed) return;
    const numbers = out.tables.map(() => this.versions.newFileNumber());
    for (const n of numbers) this.pendingOutputs.add(n);
    try {
      const added: VersionEdit['added'] = [];
      for (const [i, t] of out.tables.entries()) {
        await this.writeTableFileAsync(numbers[i]!, t.bytes);
        added.push({ level: pick.outputLevel, file: metaOf(numbers[i]!, t.bytes.byteLength, t.props) });
        this.counters.compactionBytesWritten += t.bytes.byteLength;
      }
      if (added.length > 0) this.fs.syncDir(this.dir);
      this.versions.logAndApply({ added, deleted });
      this.counters.compactions++;
      this.counters.compactionBytesRead += inputBytes;
    } finally {
      for (const n of numbers) this.pendingOutputs.delete(n);
    }
  }

  private isPinned(fileNumber: number): boolean {
    for (const v of this.pinned) if (v.allFileNumbers().includes(fileNumber)) return true;
    return false;
  }

  private deleteObsoleteFilesSafely(): void {
    try {
      this.deleteObsoleteFiles();
    } catch (e) {
      this.setBackgroundError(e as Error);
    }
  }

  /** Deletes tables no live or pinned version uses, WALs already in tables, and old manifests. */
  private deleteObsoleteFiles(): void {
    const live = new Set<number>(this.pendingOutputs);
    for (const n of this.versions.current.allFileNumbers()) live.add(n);
    for (const v of this.pinned) for (const n of v.allFileNumbers()) live.add(n);
    const liveWals = new Set<number>([this.mem.walNumber, ...this.imm.map((m) => m.walNumber)]);
    for (const name of this.fs.list(this.dir)) {
      const p = parseFileName(name);
      let drop = false;
      if (p.kind === 'table') drop = !live.has(p.number);
      else if (p.kind === 'wal') drop = p.number < this.versions.logNumber && !liveWals.has(p.number);
      else if (p.kind === 'manifest') drop = p.number !== this.versions.manifestNumber;
      else if (p.kind === 'temp') drop = true;
      if (!drop) continue;
      if (p.kind === 'table') this.tables.evict(p.number);
      this.fs.delete(joinPath(this.dir, name));
    }
  }

  private updateStall(): void {
    const v = this.versions.current;
    this.controller.update({
      unflushedMemtables: this.imm.length,
      l0Files: v.levels[0]!.length,
      pendingCompactionBytes: estimatePendingCompactionBytes(v, this.levelOpts),
    });
    if (this.controller.current.condition !== 'stopped') this.notify();
  }

  // ---------------------------------------------------------------- control

  /** Resolves when nothing is left to flush, and (with auto compactions) nothing to compact. */
  async waitForIdle(): Promise<void> {
    for (;;) {
      if (this.bgError !== null) throw new EngineClosedError(`background error: ${this.bgError.message}`, { cause: this.bgError });
      const compactionDue =
        this.autoCompactions && !this.manualCompaction && pickCompaction(this.versions.current, this.busy, this.levelOpts) !== null;
      if (this.imm.length === 0 && !this.flushRunning && this.runningCompactions === 0 && !compactionDue && this.queue.length === 0) return;
      this.scheduleBackground();
      await this.waitForChange();
    }
  }

  /** Turns the memtable into an L0 table now and waits for it (and any older ones). */
  async flush(): Promise<void> {
    this.check();
    if (this.mem.count > 0 || this.mem.maxAppliedIndex > this.versions.appliedIndex) {
      this.commitNow();
      this.switchMemtable();
    }
    while (this.imm.length > 0 || this.flushRunning) {
      if (this.bgError !== null) throw new EngineClosedError(`background error: ${this.bgError.message}`, { cause: this.bgError });
      this.scheduleBackground();
      await this.waitForChange();
    }
  }

  private commitNow(): void {
    if (this.wal !== null && this.wal.hasBuffered) this.wal.flush();
  }

  /**
   * Compacts the whole tree down level by level (RocksDB CompactRange over
   * everything): afterwards shadowed versions and droppable tombstones are gone.
   */
  async compactAll(): Promise<void> {
    await this.flush();
    this.manualCompaction = true;
    try {
      while (this.runningCompactions > 0) await this.waitForChange();
      // Down to the deepest level holding data (at least L1), as RocksDB's CompactRange does.
      let bottom = 1;
      this.versions.current.levels.forEach((files, level) => {
        if (files.length > 0 && level > bottom) bottom = level;
      });
      for (let level = 0; level < bottom; level++) {
        const v = this.versions.current;
        const inputs = [...v.levels[level]!];
        if (inputs.length === 0) continue;
        let lo = inputs[0]!.smallest;
        let hi = inputs[0]!.largest;
        for (const f of inputs) {
          if (Buffer.compare(f.smallest, lo) < 0) lo = f.smallest;
          if (Buffer.compare(f.largest, hi) > 0) hi = f.largest;
        }
        const outputInputs = v.overlapping(level + 1, lo, hi);
        // Tombstones may go only if nothing below the output holds the keys of *any* input,
        // including the output-level files pulled in (their range can be wider).
        for (const f of outputInputs) {
          if (Buffer.compare(f.smallest, lo) < 0) lo = f.smallest;
          if (Buffer.compare(f.largest, hi) > 0) hi = f.largest;
        }
        let deeper = false;
        for (let l = level + 2; l < v.numLevels; l++) if (v.overlapping(l, lo, hi).length > 0) deeper = true;
        const pick: PickedCompaction = {
          level,
          outputLevel: level + 1,
          inputs,
          outputInputs,
          trivialMove: false,
          dropTombstones: !deeper,
          score: 0,
          targetFileSizeBytes: this.o.targetFileSizeBaseBytes,
        };
        for (const f of [...inputs, ...outputInputs]) this.busy.add(f.number);
        this.runningCompactions++;
        try {
          await this.runCompaction(pick);
        } catch (e) {
          this.setBackgroundError(e as Error);
          throw e;
        } finally {
          this.releaseCompaction(pick);
        }
        this.deleteObsoleteFilesSafely();
        this.updateStall();
      }
    } finally {
      this.manualCompaction = false;
      this.notify();
      this.scheduleBackground();
    }
  }

  /** Raft index whose effects survive a crash (in tables or, with the WAL on, in the WAL once synced). */
  get durableAppliedIndex(): number {
    return this.versions.appliedIndex;
  }

  /** Highest Raft index applied so far (in memory). */
  get appliedIndex(): number {
    return this.appliedIndexV;
  }

  get lastSequence(): number {
    return this.seq;
  }

  /** The current file set, for snapshots and inspection. */
  currentFiles(): { level: number; file: FileMeta }[] {
    const out: { level: number; file: FileMeta }[] = [];
    this.versions.current.levels.forEach((files, level) => files.forEach((file) => out.push({ level, file })));
    return out;
  }

  /** Pins the current version and returns its files with their bytes; used by snapshots. */
  readFileSet(): { edit: VersionEdit; files: { number: number; bytes: Buffer }[] } {
    const v = this.versions.current;
    v.ref();
    this.pinned.add(v);
    try {
      const added: VersionEdit['added'] = [];
      v.levels.forEach((files, level) => files.forEach((file) => added.push({ level, file })));
      const files = added.map(({ file }) => ({
        number: file.number,
        bytes: this.fs.readFile(joinPath(this.dir, tableFileName(file.number))),
      }));
      return {
        edit: {
          added,
          deleted: [],
          lastSequence: this.versions.lastSequence,
          appliedIndex: this.versions.appliedIndex,
          nextFileNumber: this.versions.nextFileNumber,
          logNumber: 0,
        },
        files,
      };
    } finally {
      v.unref();
      if (!v.pinned) this.pinned.delete(v);
    }
  }

  /**
   * A snapshot of the whole engine (file set + manifest edit + table bytes)
   * for Raft. The memtable is flushed first so the snapshot holds every
   * applied write; `appliedIndex` inside says where the Raft log resumes.
   */
  async createSnapshot(): Promise<Buffer> {
    await this.flush();
    return encodeSnapshot(this.readFileSet());
  }

  /** Replaces the engine in `options.dir` with `snapshot` and opens it. */
  static async restore(options: EngineOptions, snapshot: Buffer): Promise<LsmEngine> {
    // Locked first: replacing the files of a directory a live engine uses would wreck it.
    options.fs.mkdirp(options.dir);
    const lock = options.fs.lockDir(options.dir);
    try {
      restoreSnapshot(options.fs, options.dir, snapshot);
    } catch (e) {
      lock.release();
      throw e;
    }
    return LsmEngine.openLocked(options, lock);
  }

  /**
   * The global keyspace's entries in [start, end) as checksummed chunks of
   * about `exportChunkBytes`, for moving a key range to another group.
   */
  *exportRange(start?: Uint8Array, end?: Uint8Array): Generator<Buffer, void, undefined> {
    let batch: Entry[] = [];
    let bytes = 0;
    for (const e of this.iterate('global', { start, end })) {
      batch.push(e);
      bytes += e.key.length + e.value.length + 8;
      if (bytes >= this.o.exportChunkBytes) {
        yield encodeChunk(batch);
        batch = [];
        bytes = 0;
      }
    }
    if (batch.length > 0) yield encodeChunk(batch);
  }

  /** Writes an exported chunk into the global keyspace as one atomic batch; returns the entry count. */
  async importRange(chunk: Buffer, opts: WriteOptions = {}): Promise<number> {
    const entries = decodeChunk(chunk);
    await this.write(
      entries.map((e) => ({ keyspace: 'global' as const, key: e.key, value: e.value })),
      opts,
    );
    return entries.length;
  }

  /** Deletes every live key of a keyspace in [start, end) (after a range moved away); returns the count. */
  async deleteRange(keyspace: Keyspace, start?: Uint8Array, end?: Uint8Array, opts: WriteOptions = {}): Promise<number> {
    const keys = [...this.iterate(keyspace, { start, end })].map((e) => e.key);
    const batchSize = 1000;
    for (let i = 0; i < keys.length; i += batchSize) {
      await this.write(
        keys.slice(i, i + batchSize).map((key) => ({ keyspace, key })),
        i + batchSize >= keys.length ? opts : {},
      );
    }
    return keys.length;
  }

  stats(): EngineStats {
    const v = this.versions.current;
    return {
      stall: this.controller.snapshot(),
      levels: v.levels.map((files, level) => ({
        level,
        files: files.length,
        sizeBytes: v.levelBytes(level),
        targetBytes: level === 0 ? 0 : this.levelOpts.maxBytesForLevelBaseBytes * this.levelOpts.maxBytesForLevelMultiplier ** (level - 1),
      })),
      memtableBytes: this.mem.approximateBytes,
      immutableMemtables: this.imm.length,
      pendingCompactionBytes: estimatePendingCompactionBytes(v, this.levelOpts),
      lastSequence: this.seq,
      durableAppliedIndex: this.versions.appliedIndex,
      appliedIndex: this.appliedIndexV,
      ...this.counters,
      walBytesWritten: this.wal?.sizeBytes ?? 0,
      blockCache: { hits: this.blockCache.hits, misses: this.blockCache.misses, sizeBytes: this.blockCache.sizeBytes },
      recovery: { ...this.recoveryInfo },
      backgroundError: this.bgError?.message ?? null,
    };
  }

  get backgroundError(): Error | null {
    return this.bgError;
  }

  /**
   * Stops background work and closes files. With the WAL on, unflushed writes
   * stay in the WAL (synced here); without it they are flushed to a table first.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.bgError === null) {
      try {
        // Writes still held back by a stall are rejected below, not waited for.
        if (!this.walEnabled) await this.flush();
        while (this.flushRunning || this.runningCompactions > 0) await this.waitForChange();
        if (this.wal !== null) this.wal.sync();
      } catch (e) {
        if (this.bgError === null) this.bgError = e as Error;
      }
    }
    this.closed = true;
    while (this.flushRunning || this.runningCompactions > 0) await this.waitForChange();
    try {
      this.wal?.close();
    } catch {
      // A crashed disk cannot close; the files are gone with it.
    }
    this.wal = null;
    try {
      this.tables.close();
      this.versions.close();
    } finally {
      this.dirLock?.release();
      this.dirLock = null;
    }
    this.notify();
    for (const q of this.queue.splice(0)) q.reject(new EngineClosedError('closed'));
  }
}

export function metaOf(number: number, sizeBytes: number, p: TableProperties): FileMeta {
  return {
    number,
    sizeBytes,
    smallest: p.smallestKey,
    largest: p.largestKey,
    smallestSeq: p.smallestSeq,
    largestSeq: p.largestSeq,
    numEntries: p.numEntries,
    numDeletions: p.numDeletions,
  };
}


