import { LogCompactedError, LogUnavailableError } from './errors.js';
import type { LogReader } from './storage.js';
import { Unstable } from './unstable.js';
import { limitSize, type Entry, type Snapshot } from './types.js';

/**
 * The log as one sequence: the durable part read through `LogReader`
 * followed by the unstable part held in memory, plus the commit and apply
 * cursors. Invariant: applied <= committed <= lastIndex().
 */
export class RaftLog {
  readonly unstable: Unstable;
  committed: number;
  applied: number;

  constructor(readonly storage: LogReader) {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /** Term at `i`, or 0 when `i` is compacted or beyond the end (callers treat 0 as "no match"). */
  termOrZero(i: number): number {
    // Outside the log is the common case (every append on a follower asks past its last index):
    // answered without building an error.
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return 0;
    try {
      return this.term(i);
    } catch (e) {
      if (e instanceof LogCompactedError || e instanceof LogUnavailableError) return 0;
      throw e;
    }
  }

  term(i: number): number {
    const dummy = this.firstIndex() - 1;
    if (i < dummy) throw new LogCompactedError(i, this.firstIndex());
    if (i > this.lastIndex()) throw new LogUnavailableError(i, this.lastIndex());
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    return this.storage.term(i);
  }

  matchTerm(i: number, term: number): boolean {
    return this.termOrZero(i) === term && (term !== 0 || i === 0);
  }

  /** Raft §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Follower side of AppendEntries. Returns the new last index on a match,
   * or undefined if the entry before `ents` does not match. Only a real term
   * conflict truncates: entries we already have are skipped, so a stale or
   * duplicated AppendEntries can never cut off newer entries.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new Error(`raft invariant: entry ${ci} conflicts with committed entry (committed ${this.committed})`);
      }
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) {
      throw new Error(`raft invariant: append after ${after} is below committed ${this.committed}`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** Index of the first entry in `ents` whose term differs from ours, or that we lack; 0 if none. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Largest index <= `index` whose term is <= `term` (the fast backtracking
   * hint): every entry above it has a term greater than the other side's,
   * so it cannot match there.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let i = Math.min(index, this.lastIndex());
    for (; i > 0; i--) {
      let t: number;
      try {
        t = this.term(i);
      } catch (e) {
        if (e instanceof LogCompactedError) break;
        throw e;
      }
      if (t <= term) return { index: i, term: t };
    }
    return { index: i, term: this.termOrZero(i) };
  }

  commitTo(c: number): void {
    // The commit index never goes backwards, whatever a stale message claims.
    if (c <= this.committed) return;
    if (c > this.lastIndex()) {
      throw new Error(`raft invariant: commit ${c} is beyond last index ${this.lastIndex()}`);
    }
    this.committed = c;
  }

  /** Leader side: commit `maxIndex` only if it is from the current term (Raft §5.4.2). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.termOrZero(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    if (i > this.committed || i < this.applied) {
      throw new Error(`raft invariant: applied ${i} outside [${this.applied}, ${this.committed}]`);
    }
    this.applied = i;
  }

  hasNextCommittedEntries(): boolean {
    if (this.unstable.snapshot) return false;
    return this.committed > Math.max(this.applied, this.firstIndex() - 1);
  }

  nextCommittedEntries(maxBytes: number): Entry[] {
    if (!this.hasNextCommittedEntries()) return [];
    const lo = Math.max(this.applied + 1, this.firstIndex());
    return this.slice(lo, this.committed + 1, maxBytes);
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries.slice();
  }

  /** Entries in [lo, hi) from storage and unstable, limited to `maxBytes` (at least one). */
  slice(lo: number, hi: number, maxBytes: number, maxCount = Infinity): Entry[] {
    if (lo >= hi) return [];
    const first = this.firstIndex();
    if (lo < first) throw new LogCompactedError(lo, first);
    const last = this.lastIndex();
    if (hi > last + 1) throw new LogUnavailableError(hi - 1, last);
    let out: Entry[] = [];
    const uOff = this.unstable.offset;
    if (lo < uOff) {
      out = this.storage.entries(lo, Math.min(hi, uOff), maxBytes);
      if (out.length < Math.min(hi, uOff) - lo) return limitSize(out, maxBytes, maxCount);
    }
    if (hi > uOff) out = out.concat(this.unstable.slice(Math.max(lo, uOff), hi));
    return limitSize(out, maxBytes, maxCount);
  }

  /** Entries from `i` on, for AppendEntries. */
  entriesFrom(i: number, maxBytes: number, maxCount: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxBytes, maxCount);
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  restore(s: Snapshot): void {
    this.committed = s.meta.index;
    this.unstable.restore(s);
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: number): void {
    this.unstable.stableSnapTo(index);
  }
}
