import { describe, expect, it } from 'vitest';
import { LookupWalk } from './lookup-walk.js';
import type { Peer } from './peer.js';
import { RingModel } from './testing/ring-model.js';

const paperIds = [1n, 8n, 14n, 21n, 32n, 38n, 42n, 48n, 51n, 56n];

describe('LookupWalk', () => {
  it('finds every owner from every origin on a stable ring', () => {
    const m = new RingModel(paperIds, { successorListLength: 3, bits: 6 });
    for (const origin of paperIds) {
      for (let key = 0n; key < 64n; key++) {
        const r = m.lookup(origin, key);
        expect(r).toMatchObject({ owner: m.successorOf(key) });
      }
    }
  });

  it('routes around a dead node and reports it as a suspect', () => {
    const m = new RingModel(paperIds, { successorListLength: 3, bits: 6 });
    // N42 is dead: N8's best finger for K54 times out; it falls back to N32, and N56 is still found.
    expect(m.lookup(8n, 54n, new Set([42n]))).toMatchObject({ owner: 56n });
    // The owner's predecessor lists a dead owner: the next successor owns the key now.
    expect(m.lookup(8n, 54n, new Set([56n]))).toMatchObject({ owner: 1n });
    const core = m.cores.get(8n)!;
    const walk = new LookupWalk<bigint>(54n, (k, a) => core.nextHop(k, a), 20);
    const first = walk.start();
    expect(first).toMatchObject({ kind: 'ask', peer: { id: 42n } });
    const second = walk.timeout();
    expect(second).toMatchObject({ kind: 'ask', peer: { id: 32n }, avoid: [42n] });
    expect(walk.suspects()).toEqual([42n]);
  });

  it('gives up after its step budget and on a pointer cycle backtracks', () => {
    const a: Peer<string> = { id: 10n, ref: 'a' };
    const walk = new LookupWalk<string>(50n, () => ({ kind: 'forward', peer: a }), 3);
    expect(walk.start()).toMatchObject({ kind: 'ask', peer: a });
    // a points back at itself: a dead end, so a is avoided and the origin is asked again — which still says a.
    const next = walk.answer({ kind: 'forward', peer: a });
    expect(next.kind === 'ask' || next.kind === 'failed').toBe(true);
    let step = next;
    for (let i = 0; i < 10 && step.kind === 'ask'; i++) step = walk.timeout();
    expect(step.kind).toBe('failed');
  });
});
