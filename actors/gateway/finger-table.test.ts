import { describe, expect, it } from 'vitest';
import { FingerTable } from './finger-table.js';
import type { Peer } from './peer.js';

/** The Chord paper's example ring (m = 6, ten nodes). */
const paperIds = [1n, 8n, 14n, 21n, 32n, 38n, 42n, 48n, 51n, 56n];
const p = (id: bigint): Peer<string> => ({ id, ref: `N${id}` });
const successorOf = (key: bigint): bigint => paperIds.find((id) => id >= key) ?? paperIds[0]!;

describe('FingerTable', () => {
  it('computes finger starts n + 2^i mod 2^m', () => {
    const t = new FingerTable<string>(8n, 6);
    expect([0, 1, 2, 3, 4, 5].map((i) => t.start(i))).toEqual([9n, 10n, 12n, 16n, 24n, 40n]);
    const w = new FingerTable<string>(56n, 6);
    expect([0, 1, 2, 3, 4, 5].map((i) => w.start(i))).toEqual([57n, 58n, 60n, 0n, 8n, 24n]);
  });

  it('finds the closest preceding finger (the paper: N8 looking up K54 goes to N42)', () => {
    const t = new FingerTable<string>(8n, 6);
    for (let i = 0; i < 6; i++) t.set(i, p(successorOf(t.start(i))));
    expect(t.ids()).toEqual([14n, 14n, 14n, 21n, 32n, 42n]);
    expect(t.closestPrecedingFinger(54n)?.id).toBe(42n);
    expect(t.closestPrecedingFinger(30n)?.id).toBe(21n);
    expect(t.closestPrecedingFinger(14n)).toBeUndefined(); // (8, 14) holds no finger
    expect(t.closestPrecedingFinger(15n)?.id).toBe(14n);
    // Wrap-around: key 3 lies past zero, so every finger precedes it; the farthest wins.
    expect(t.closestPrecedingFinger(3n)?.id).toBe(42n);
    // A suspected finger is skipped for the next best.
    expect(t.closestPrecedingFinger(54n, new Set([42n]))?.id).toBe(32n);
  });

  it('fills a run of fingers from one lookup answer', () => {
    const t = new FingerTable<string>(8n, 6);
    // successor(9) = 14 also settles starts 10 and 12; start 16 needs its own lookup.
    expect(t.setRun(0, p(14n))).toBe(3);
    expect(t.ids()).toEqual([14n, 14n, 14n, undefined, undefined, undefined]);
    // A lone node's successor is itself: every finger is self.
    const alone = new FingerTable<string>(8n, 6);
    expect(alone.setRun(0, p(8n))).toBe(6);
    // An answer at the exact start covers just that finger.
    const exact = new FingerTable<string>(8n, 6);
    expect(exact.setRun(3, p(16n))).toBe(4);
    // A wrapping answer: successor(40) on a ring whose nodes are 8 and 2 is 2, beyond zero.
    const wrap = new FingerTable<string>(8n, 6);
    expect(wrap.setRun(4, p(2n))).toBe(6);
  });

  it('removes a failed peer from every slot', () => {
    const t = new FingerTable<string>(8n, 6);
    for (let i = 0; i < 6; i++) t.set(i, p(successorOf(t.start(i))));
    expect(t.remove(14n)).toBe(3);
    expect(t.ids()).toEqual([undefined, undefined, undefined, 21n, 32n, 42n]);
    expect(t.peers().map((x) => x.id)).toEqual([21n, 32n, 42n]);
  });
});
