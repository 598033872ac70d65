import { describe, expect, it } from 'vitest';
import { ChordCore } from './chord-core.js';
import type { Peer } from './peer.js';
import { RingModel } from './testing/ring-model.js';

const paperIds = [1n, 8n, 14n, 21n, 32n, 38n, 42n, 48n, 51n, 56n];
const p = (id: bigint): Peer<bigint> => ({ id, ref: id });
const model = () => new RingModel(paperIds, { successorListLength: 3, bits: 6 });

describe('ChordCore', () => {
  it('owns (predecessor, self], the whole ring alone', () => {
    const core = new ChordCore(p(8n), { successorListLength: 3, bits: 6 });
    expect(core.isAlone).toBe(true);
    expect(core.ownsKey(50n)).toBe(true);
    expect(core.nextHop(50n)).toEqual({ kind: 'owner', owner: p(8n) });
    core.setPredecessor(p(1n));
    expect(core.ownsKey(8n)).toBe(true);
    expect(core.ownsKey(2n)).toBe(true);
    expect(core.ownsKey(1n)).toBe(false);
    expect(core.ownsKey(9n)).toBe(false);
    const wrap = new ChordCore(p(1n), { successorListLength: 3, bits: 6 });
    wrap.setPredecessor(p(56n));
    expect([57n, 63n, 0n, 1n].every((k) => wrap.ownsKey(k))).toBe(true);
    expect(wrap.ownsKey(56n)).toBe(false);
  });

  it('routes step by step as in the paper: N8 → N42 → N51, owner N56', () => {
    const m = model();
    const n8 = m.cores.get(8n)!;
    expect(n8.nextHop(54n)).toEqual({ kind: 'forward', peer: p(42n) });
    expect(m.cores.get(42n)!.nextHop(54n)).toEqual({ kind: 'forward', peer: p(51n) });
    expect(m.cores.get(51n)!.nextHop(54n)).toEqual({ kind: 'owner', owner: p(56n) });
    expect(m.lookup(8n, 54n)).toEqual({ owner: 56n, hops: 2 });
    // A key in the origin's own range costs nothing; one between it and its successor, nothing either.
    expect(m.lookup(8n, 5n)).toEqual({ owner: 8n, hops: 0 });
    expect(m.lookup(8n, 10n)).toEqual({ owner: 14n, hops: 0 });
  });

  it('closest preceding node falls back to the successor list when no finger is usable', () => {
    const core = new ChordCore(p(8n), { successorListLength: 3, bits: 6 });
    core.successors.reconcile(p(14n), [p(21n), p(32n)]);
    core.fingers.set(5, p(42n));
    // No finger lies in (8, 30); the successor list offers 21.
    expect(core.closestPrecedingNode(30n)?.id).toBe(21n);
    expect(core.closestPrecedingNode(50n)?.id).toBe(42n);
    expect(core.closestPrecedingNode(50n, new Set([42n]))?.id).toBe(32n);
  });

  it('answers with the next live successor when the first is suspected', () => {
    const m = model();
    const n8 = m.cores.get(8n)!;
    expect(n8.nextHop(12n, new Set([14n]))).toEqual({ kind: 'owner', owner: p(21n) });
    // Every successor suspected and no finger in (8, 12): nothing can route the key from here.
    expect(n8.nextHop(12n, new Set([14n, 21n, 32n]))).toEqual({ kind: 'stuck' });
    // For a farther key the fingers still help.
    expect(n8.nextHop(50n, new Set([14n, 21n, 32n]))).toEqual({ kind: 'forward', peer: p(42n) });
    const lonely = new ChordCore(p(8n), { successorListLength: 1, bits: 6 });
    lonely.successors.reconcile(p(14n), []);
    expect(lonely.nextHop(12n, new Set([14n]))).toEqual({ kind: 'stuck' });
  });

  it('stabilize adopts a node that joined between self and its successor', () => {
    const core = new ChordCore(p(8n), { successorListLength: 3, bits: 6 });
    core.successors.reconcile(p(14n), [p(21n), p(32n)]);
    // 14 says its predecessor is 10 (joined): 10 becomes the successor, 14 follows.
    const out = core.stabilize(p(14n), p(10n), [p(21n), p(32n)]);
    expect(out.successorChanged).toBe(true);
    expect(out.notify.id).toBe(10n);
    expect(core.successors.entries().map((x) => x.id)).toEqual([10n, 14n, 21n]);
    // A predecessor of the successor outside (self, successor) changes nothing but the list.
    const again = core.stabilize(p(10n), p(8n), [p(14n), p(21n), p(38n)]);
    expect(again.successorChanged).toBe(false);
    expect(core.successors.entries().map((x) => x.id)).toEqual([10n, 14n, 21n]);
  });

  it('notify accepts a closer predecessor only', () => {
    const core = new ChordCore(p(21n), { successorListLength: 3, bits: 6 });
    expect(core.notify(p(8n))).toEqual({ changed: true, previous: undefined });
    expect(core.notify(p(14n))).toEqual({ changed: true, previous: p(8n) });
    expect(core.notify(p(1n))).toEqual({ changed: false });
    expect(core.notify(p(21n))).toEqual({ changed: false });
    expect(core.predecessor?.id).toBe(14n);
  });

  it('a lone node takes its first notifier as successor too', () => {
    const core = new ChordCore(p(21n), { successorListLength: 3, bits: 6 });
    core.notify(p(40n));
    expect(core.adoptPredecessorAsSuccessor()).toBe(true);
    expect(core.successor.id).toBe(40n);
    expect(core.adoptPredecessorAsSuccessor()).toBe(false);
  });

  it('a failed successor is replaced by the next in the list; a failed predecessor is forgotten', () => {
    const m = model();
    const n8 = m.cores.get(8n)!;
    expect(n8.peerFailed(14n)).toEqual({ wasSuccessor: true, wasPredecessor: false });
    expect(n8.successor.id).toBe(21n);
    expect(n8.fingers.ids().includes(14n)).toBe(false);
    expect(n8.peerFailed(1n)).toEqual({ wasSuccessor: false, wasPredecessor: true });
    expect(n8.predecessor).toBeUndefined();
    // Its range surely covers (failed predecessor, self] only, until a notify tells how far it grew.
    expect(n8.ownsKey(5n)).toBe(true);
    expect(n8.ownsKey(60n)).toBe(false);
    n8.notify(p(56n));
    expect(n8.ownsKey(60n)).toBe(true);
  });

  it('falls back to the nearest known node when every successor failed', () => {
    const m = model();
    const n8 = m.cores.get(8n)!;
    for (const id of [14n, 21n, 32n]) n8.peerFailed(id);
    expect(n8.successors.isEmpty()).toBe(true);
    expect(n8.recoverSuccessor()).toBe(true);
    expect(n8.successor.id).toBe(42n);
  });

  it('fix_fingers walks the table, skipping runs settled by one answer', () => {
    const core = new ChordCore(p(8n), { successorListLength: 3, bits: 6 });
    expect(core.nextFingerToFix()).toEqual({ index: 0, start: 9n });
    core.fingerFixed(0, p(14n));
    expect(core.nextFingerToFix()).toEqual({ index: 3, start: 16n });
    core.fingerFixed(3, p(21n));
    core.fingerFixed(4, p(32n));
    core.fingerFixed(5, p(42n));
    expect(core.nextFingerToFix().index).toBe(0);
    expect(core.fingers.ids()).toEqual([14n, 14n, 14n, 21n, 32n, 42n]);
  });
});
