import { describe, expect, it } from 'vitest';
import { MemoryLogStore } from '../../storage/raft-log/memory.js';
import { LogCompactedError } from './errors.js';
import { RaftLog } from './log.js';
import type { Entry } from './types.js';

const e = (index: number, term: number): Entry => ({ index, term, type: 'normal', data: new Uint8Array([index]) });

async function logWith(stable: Entry[], unstable: Entry[] = []): Promise<RaftLog> {
  const store = new MemoryLogStore();
  if (stable.length > 0) await store.save({ entries: stable });
  const log = new RaftLog(store);
  if (unstable.length > 0) log.append(unstable);
  return log;
}

describe('RaftLog', () => {
  it('reads across the stable and unstable parts', async () => {
    const log = await logWith([e(1, 1), e(2, 1)], [e(3, 2), e(4, 2)]);
    expect(log.lastIndex()).toBe(4);
    expect(log.term(2)).toBe(1);
    expect(log.term(4)).toBe(2);
    expect(log.slice(1, 5, Infinity).map((x) => x.index)).toEqual([1, 2, 3, 4]);
  });

  it('maybeAppend: a match with no conflict keeps the longer log', async () => {
    const log = await logWith([e(1, 1), e(2, 1), e(3, 1)]);
    expect(log.maybeAppend(0, 0, 0, [e(1, 1), e(2, 1)])).toBe(2);
    expect(log.lastIndex()).toBe(3);
  });

  it('maybeAppend: a conflict replaces from the first differing entry', async () => {
    const log = await logWith([e(1, 1), e(2, 1), e(3, 1)]);
    expect(log.maybeAppend(1, 1, 0, [e(2, 1), e(3, 2)])).toBe(3);
    expect(log.term(3)).toBe(2);
    expect(log.unstable.offset).toBe(3);
  });

  it('maybeAppend: a mismatch at the previous entry appends nothing', async () => {
    const log = await logWith([e(1, 1), e(2, 1)]);
    expect(log.maybeAppend(2, 2, 0, [e(3, 2)])).toBeUndefined();
    expect(log.lastIndex()).toBe(2);
  });

  it('maybeAppend commits only up to the last new entry it verified', async () => {
    const log = await logWith([e(1, 1), e(2, 1), e(3, 9)]);
    log.maybeAppend(1, 1, 3, [e(2, 1)]);
    // Entry 3 was not covered by this message, so the leader's commit of 3 cannot apply to it yet.
    expect(log.committed).toBe(2);
  });

  it('refuses to truncate committed entries', async () => {
    const log = await logWith([e(1, 1), e(2, 1)]);
    log.commitTo(2);
    expect(() => log.maybeAppend(0, 0, 2, [e(1, 1), e(2, 5)])).toThrow(/committed/);
  });

  it('findConflictByTerm returns the last index whose term is at most the given term', async () => {
    const log = await logWith([e(1, 1), e(2, 1), e(3, 3), e(4, 3), e(5, 5)]);
    expect(log.findConflictByTerm(5, 4)).toEqual({ index: 4, term: 3 });
    expect(log.findConflictByTerm(5, 2)).toEqual({ index: 2, term: 1 });
    expect(log.findConflictByTerm(5, 0)).toEqual({ index: 0, term: 0 });
    expect(log.findConflictByTerm(9, 5)).toEqual({ index: 5, term: 5 });
  });

  it('maybeCommit only commits an index of the given term', async () => {
    const log = await logWith([e(1, 1), e(2, 2)]);
    expect(log.maybeCommit(1, 2)).toBe(false);
    expect(log.committed).toBe(0);
    expect(log.maybeCommit(2, 2)).toBe(true);
    expect(log.committed).toBe(2);
  });

  it('commitTo ignores a lower commit', async () => {
    const log = await logWith([e(1, 1), e(2, 1)]);
    log.commitTo(2);
    log.commitTo(1);
    expect(log.committed).toBe(2);
  });

  it('stableTo ignores an index whose term changed after the Ready was cut', async () => {
    const log = await logWith([], [e(1, 1), e(2, 1)]);
    log.maybeAppend(1, 1, 0, [e(2, 2)]);
    log.stableTo(2, 1);
    expect(log.unstable.entries.map((x) => x.term)).toEqual([1, 2]);
    log.stableTo(2, 2);
    expect(log.unstable.entries).toEqual([]);
  });

  it('reports compaction', async () => {
    const store = new MemoryLogStore();
    await store.save({ entries: [e(1, 1), e(2, 1), e(3, 1)] });
    await store.createSnapshot(2, { voters: [1], learners: [] }, new Uint8Array(), 0);
    const log = new RaftLog(store);
    expect(log.firstIndex()).toBe(3);
    expect(log.term(2)).toBe(1);
    expect(() => log.slice(2, 3, Infinity)).toThrow(LogCompactedError);
    expect(log.isUpToDate(3, 1)).toBe(true);
    expect(log.isUpToDate(2, 1)).toBe(false);
  });
});
