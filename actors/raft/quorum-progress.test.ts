import { describe, expect, it } from 'vitest';
import { Inflights } from './inflights.js';
import { Progress } from './progress.js';
import { committedIndex, quorumSize, voteResult } from './quorum.js';
import { ReadOnlyQueue } from './read-only.js';

describe('quorum', () => {
  it('majority sizes', () => {
    expect([1, 2, 3, 4, 5].map(quorumSize)).toEqual([1, 2, 2, 3, 3]);
  });

  it('committed index is the highest index a majority has', () => {
    const match = new Map([
      [1, 9],
      [2, 5],
      [3, 7],
      [4, 1],
      [5, 5],
    ]);
    expect(committedIndex([1, 2, 3, 4, 5], (id) => match.get(id)!)).toBe(5);
    expect(committedIndex([1, 3], (id) => match.get(id)!)).toBe(7);
    expect(committedIndex([], () => 3)).toBe(0);
  });

  it('vote results', () => {
    const votes = new Map([
      [1, true],
      [2, false],
    ]);
    expect(voteResult([1, 2, 3], votes)).toBe('pending');
    votes.set(3, true);
    expect(voteResult([1, 2, 3], votes)).toBe('won');
    votes.set(3, false);
    expect(voteResult([1, 2, 3], votes)).toBe('lost');
    // Votes from outside the voter set do not count.
    expect(voteResult([1, 2, 3], new Map([[7, true], [1, true]]))).toBe('pending');
  });
});

describe('Inflights', () => {
  it('fills by count and by bytes and frees in order', () => {
    const f = new Inflights(3, 100);
    f.add(5, 10);
    f.add(7, 10);
    expect(f.full()).toBe(false);
    f.add(9, 10);
    expect(f.full()).toBe(true);
    f.freeLE(7);
    expect(f.count()).toBe(1);
    expect(f.full()).toBe(false);
    f.add(10, 95);
    expect(f.full()).toBe(true);
    expect(f.inflightBytes()).toBe(105);
  });
});

describe('Progress', () => {
  it('probe sends one message at a time', () => {
    const p = new Progress(5, 10, 0, false);
    expect(p.isPaused()).toBe(false);
    p.sentEntries(6, 1, 10);
    expect(p.isPaused()).toBe(true);
    expect(p.maybeUpdate(6)).toBe(true);
    expect(p.isPaused()).toBe(false);
  });

  it('replicate advances next optimistically; a rejection falls back to match + 1', () => {
    const p = new Progress(5, 10, 0, false);
    p.maybeUpdate(4);
    p.becomeReplicate();
    p.sentEntries(8, 4, 40);
    p.sentEntries(10, 2, 20);
    expect(p.next).toBe(11);
    expect(p.maybeDecrTo(3, 2)).toBe(false); // stale: below match
    expect(p.maybeDecrTo(8, 2)).toBe(true);
    expect(p.next).toBe(5);
  });

  it('in probe, only the rejection of the latest probe counts, and the hint moves next down', () => {
    const p = new Progress(11, 10, 0, false);
    expect(p.maybeDecrTo(7, 3)).toBe(false);
    expect(p.maybeDecrTo(10, 3)).toBe(true);
    expect(p.next).toBe(4);
  });

  it('leaving the snapshot state resumes after the snapshot', () => {
    const p = new Progress(2, 10, 0, false);
    p.becomeSnapshot(50);
    expect(p.isPaused()).toBe(true);
    p.becomeProbe();
    expect(p.next).toBe(51);
  });
});

describe('ReadOnlyQueue', () => {
  it('an ack for a later read releases the earlier ones too', () => {
    const q = new ReadOnlyQueue();
    const a = new Uint8Array([1]);
    const b = new Uint8Array([2]);
    q.add(5, a, 1, 1);
    q.add(6, b, 2, 1);
    expect([...q.recvAck(3, b)!]).toEqual([1, 3]);
    expect(q.advance(b).map((r) => r.index)).toEqual([5, 6]);
    expect(q.size()).toBe(0);
    expect(q.recvAck(3, a)).toBeUndefined();
  });
});
