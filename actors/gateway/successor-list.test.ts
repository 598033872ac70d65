import { describe, expect, it } from 'vitest';
import { GatewayConfigError } from './errors.js';
import type { Peer } from './peer.js';
import { SuccessorList } from './successor-list.js';

const p = (id: bigint): Peer<string> => ({ id, ref: `N${id}` });
const ids = (l: SuccessorList<string>) => l.entries().map((x) => x.id);

describe('SuccessorList', () => {
  it('is the successor followed by its list, cut to r', () => {
    const l = new SuccessorList(p(8n), 3);
    expect(l.first().id).toBe(8n); // alone: its own successor
    l.reconcile(p(14n), [p(21n), p(32n), p(38n)]);
    expect(ids(l)).toEqual([14n, 21n, 32n]);
  });

  it('stops where the list wraps back to self (small rings) and drops duplicates', () => {
    const l = new SuccessorList(p(8n), 4);
    l.reconcile(p(14n), [p(21n), p(8n), p(14n)]);
    expect(ids(l)).toEqual([14n, 21n]);
    const two = new SuccessorList(p(56n), 3);
    two.reconcile(p(1n), [p(56n)]);
    expect(ids(two)).toEqual([1n]);
    l.reconcile(p(14n), [p(14n), p(21n)]);
    expect(ids(l)).toEqual([14n]);
  });

  it('keeps clockwise order across zero', () => {
    const l = new SuccessorList(p(51n), 4);
    l.reconcile(p(56n), [p(1n), p(8n), p(14n)]);
    expect(ids(l)).toEqual([56n, 1n, 8n, 14n]);
    // A stale entry that goes backwards ends the list.
    l.reconcile(p(56n), [p(1n), p(54n), p(8n)]);
    expect(ids(l)).toEqual([56n, 1n]);
  });

  it('moves to the next successor when the first fails, and takes a closer one first', () => {
    const l = new SuccessorList(p(8n), 3);
    l.reconcile(p(14n), [p(21n), p(32n)]);
    expect(l.remove(14n)).toBe(true);
    expect(l.first().id).toBe(21n);
    expect(l.remove(99n)).toBe(false);
    expect(l.firstLive(new Set([21n]))?.id).toBe(32n);
    expect(l.firstLive(new Set([21n, 32n]))).toBeUndefined();
    l.prepend(p(10n));
    expect(ids(l)).toEqual([10n, 21n, 32n]);
    l.prepend(p(9n));
    expect(ids(l)).toEqual([9n, 10n, 21n]);
  });

  it('refuses r < 1', () => {
    expect(() => new SuccessorList(p(1n), 0)).toThrow(GatewayConfigError);
  });
});
