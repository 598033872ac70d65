import { LogCompactedError, LogUnavailableError } from '../../actors/raft/errors.js';
import type { LogStore, PersistBatch } from '../../actors/raft/storage.js';
import {
  EMPTY_HARD_STATE,
  EMPTY_SNAPSHOT,
  limitSize,
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
} from '../../actors/raft/types.js';

/** The log as plain data: entries follow a "dummy" position holding the last compacted index and term. */
interface LogImage {
  hardState: HardState;
  snapshot: Snapshot;
  dummyIndex: number;
  dummyTerm: number;
  entries: Entry[];
}

function cloneImage(s: LogImage): LogImage {
  return { ...s, entries: s.entries.slice() };
}

/**
 * In-memory log store for the deterministic simulator. Writes land in the
 * "current" image at once but only become durable at `sync()`; `crash()`
 * throws away everything not synced, exactly as a power cut would.
 *
 * `syncMode: 'immediate'` syncs inside every `save`; 'manual' leaves `save`
 * pending until the simulator calls `sync()`, which is how it models a slow
 * fsync racing with other events.
 */
export class MemoryLogStore implements LogStore {
  private current: LogImage;
  private durable: LogImage;
  private waiting: (() => void)[] = [];
  /** Number of sync() calls that made something durable: tests use it to check group commit. */
  syncCount = 0;
  /** Snapshots received from a leader and installed (tests check coverage with it). */
  snapshotsInstalled = 0;
  /**
   * In 'manual' mode, called when a save finds nothing waiting for sync yet:
   * the simulator schedules the fsync's completion in virtual time here.
   */
  onUnsynced: (() => void) | undefined;
  /** Set on the instance a crash left behind: its late writes must not reach the disk image. */
  private fenced = false;

  constructor(readonly syncMode: 'immediate' | 'manual' = 'immediate') {
    const empty: LogImage = { hardState: EMPTY_HARD_STATE, snapshot: EMPTY_SNAPSHOT, dummyIndex: 0, dummyTerm: 0, entries: [] };
    this.current = empty;
    this.durable = cloneImage(empty);
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.current.hardState, confState: this.current.snapshot.meta.confState };
  }

  firstIndex(): number {
    return this.current.dummyIndex + 1;
  }

  lastIndex(): number {
    return this.current.dummyIndex + this.current.entries.length;
  }

  term(index: number): number {
    const c = this.current;
    if (index < c.dummyIndex) throw new LogCompactedError(index, this.firstIndex());
    if (index > this.lastIndex()) throw new LogUnavailableError(index, this.lastIndex());
    if (index === c.dummyIndex) return c.dummyTerm;
    return c.entries[index - c.dummyIndex - 1]!.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo < this.firstIndex()) throw new LogCompactedError(lo, this.firstIndex());
    if (hi > this.lastIndex() + 1) throw new LogUnavailableError(hi - 1, this.lastIndex());
    const off = this.current.dummyIndex + 1;
    return limitSize(this.current.entries.slice(lo - off, hi - off), maxBytes);
  }

  snapshot(): Snapshot {
    return this.current.snapshot;
  }

  save(batch: PersistBatch): Promise<void> {
    if (this.fenced) return new Promise(() => undefined);
    try {
      if (batch.snapshot && batch.snapshot.meta.index > this.current.snapshot.meta.index) this.snapshotsInstalled++;
      applyBatch(this.current, batch);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.syncMode === 'immediate') {
      this.sync();
      return Promise.resolve();
    }
    if (batch.sync === false) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length === 1) this.onUnsynced?.();
    });
  }

  /** Makes every write so far durable and resolves the saves waiting for it. */
  sync(): void {
    if (this.fenced) return;
    this.durable = cloneImage(this.current);
    this.syncCount++;
    const w = this.waiting;
    this.waiting = [];
    for (const r of w) r();
  }

  hasUnsynced(): boolean {
    return this.waiting.length > 0;
  }

  /**
   * The store a node restarted after a power cut sees: what was synced. This
   * instance is fenced, so a member of the dead incarnation still running
   * its Ready loop cannot write into the new one's log.
   */
  recoverAfterCrash(): MemoryLogStore {
    this.fenced = true;
    this.waiting = [];
    const next = new MemoryLogStore(this.syncMode);
    next.current = cloneImage(this.durable);
    next.durable = cloneImage(this.durable);
    return next;
  }

  /** Power cut: unsynced writes vanish; pending saves never resolve. */
  crash(): void {
    this.current = cloneImage(this.durable);
    this.waiting = [];
  }

  async createSnapshot(index: number, confState: ConfState, data: Uint8Array, keepEntries: number): Promise<void> {
    if (this.fenced) return;
    // Snapshots cover applied, hence already durable, entries, so both images take it.
    for (const img of [this.current, this.durable]) {
      if (index <= img.snapshot.meta.index) continue;
      const last = img.dummyIndex + img.entries.length;
      if (index > last) continue;
      const term = index === img.dummyIndex ? img.dummyTerm : img.entries[index - img.dummyIndex - 1]!.term;
      img.snapshot = { meta: { index, term, confState }, data };
      compact(img, Math.max(img.dummyIndex, index - keepEntries));
    }
  }

  async close(): Promise<void> {}
}

function compact(img: LogImage, upTo: number): void {
  if (upTo <= img.dummyIndex) return;
  const drop = upTo - img.dummyIndex;
  img.dummyTerm = img.entries[drop - 1]!.term;
  img.entries = img.entries.slice(drop);
  img.dummyIndex = upTo;
}

function applyBatch(img: LogImage, b: PersistBatch): void {
  if (b.snapshot && b.snapshot.meta.index > img.snapshot.meta.index) {
    img.snapshot = b.snapshot;
    img.dummyIndex = b.snapshot.meta.index;
    img.dummyTerm = b.snapshot.meta.term;
    img.entries = [];
  }
  if (b.entries.length > 0) {
    const first = b.entries[0]!.index;
    if (first <= img.dummyIndex) {
      // Entries already covered by the snapshot: keep only what lies beyond it.
      const rest = b.entries.filter((e) => e.index > img.dummyIndex);
      if (rest.length > 0) applyBatch(img, { entries: rest });
    } else {
      const last = img.dummyIndex + img.entries.length;
      if (first > last + 1) throw new Error(`raft log: gap appending ${first} after ${last}`);
      img.entries = img.entries.slice(0, first - img.dummyIndex - 1).concat(b.entries);
    }
  }
  if (b.hardState) img.hardState = b.hardState;
}
