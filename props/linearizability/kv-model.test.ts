import { describe, expect, it } from 'vitest';
import { checkOperations } from './check.js';
import { done, pending } from './history-builders.js';
import type { HistoryOp, Operation } from './history.js';
import { kv, kvModel, type KvInput, type KvOutput } from './kv-model.js';
import { KvState } from './kv-state.js';

const s1 = KvState.empty.with('x', '1');

describe('kvModel.step', () => {
  it('accepts writes with ok or an unknown output, and nothing else', () => {
    expect(kvModel.step(KvState.empty, kv.put('x', '1'), kv.ok)).toEqual([true, s1]);
    expect(kvModel.step(KvState.empty, kv.put('x', '1'), undefined)[0]).toBe(true);
    expect(kvModel.step(KvState.empty, kv.put('x', '1'), kv.found('1'))[0]).toBe(false);
    expect(kvModel.step(s1, kv.delete('x'), kv.ok)[1].equals(KvState.empty)).toBe(true);
  });

  it('checks gets against the state', () => {
    expect(kvModel.step(s1, kv.get('x'), kv.found('1'))[0]).toBe(true);
    expect(kvModel.step(s1, kv.get('x'), kv.found('2'))[0]).toBe(false);
    expect(kvModel.step(s1, kv.get('x'), kv.notFound)[0]).toBe(false);
    expect(kvModel.step(s1, kv.get('y'), kv.notFound)[0]).toBe(true);
  });

  it('checks ranges as sets of entries inside the range', () => {
    const s = s1.with('y', '2').with('z', '3');
    expect(kvModel.step(s, kv.range('x', 'z'), kv.entries(['y', '2'], ['x', '1']))[0]).toBe(true);
    expect(kvModel.step(s, kv.range('x', 'z'), kv.entries(['x', '1']))[0]).toBe(false);
    expect(kvModel.step(s, kv.range('x', 'z'), kv.entries(['x', '1'], ['x', '1']))[0]).toBe(false);
    expect(kvModel.step(s, kv.range('x', 'z'), kv.entries(['x', '1'], ['z', '3']))[0]).toBe(false);
    expect(kvModel.step(s, kv.range('y', 'y'), kv.entries())[0]).toBe(true);
  });

  it('describes operations and states for people', () => {
    expect(kvModel.describeOperation!(kv.put('x', 'a b'), kv.ok)).toBe('put x="a b" → ok');
    expect(kvModel.describeOperation!(kv.get('x'), undefined)).toBe('get x → ? (never returned)');
    expect(kvModel.describeOperation!(kv.range('a', 'c'), kv.entries(['a', '1']))).toBe('range [a, c) → {a=1}');
    expect(kvModel.describeState!(s1.with('', '2'))).toBe('{""=2, x=1}');
  });
});

describe('kvModel.pendingHints', () => {
  const asHistoryOps = (ops: Operation<KvInput, KvOutput>[]): HistoryOp<KvInput, KvOutput>[] =>
    ops.map((op, id) => ({
      id,
      clientId: op.clientId,
      input: op.input,
      output: op.status === 'ok' ? op.output : undefined,
      callTimeMs: op.callTimeMs,
      returnTimeMs: op.status === 'ok' ? op.returnTimeMs : Infinity,
    }));

  it('marks pending writes nobody could have seen, and bounds the only writer of a value someone read', () => {
    const ops = asHistoryOps([
      pending(1, 0, kv.put('x', 'seen')), // 0: only writer of (x, seen), read by 7 and 10
      pending(1, 0, kv.put('x', 'unseen')), // 1
      pending(1, 0, kv.put('y', 'seen')), // 2: same value, other key: not seen
      pending(1, 0, kv.delete('z')), // 3: nobody saw z absent
      pending(1, 0, kv.delete('w')), // 4: get w saw it absent
      pending(1, 0, kv.delete('r')), // 5: the scan of [q, s) saw r absent
      pending(1, 0, kv.deleteRange('a', 'b')), // 6: no hint, unbounded footprint
      done(2, [1, 2], kv.get('x'), kv.found('seen')),
      done(2, [1, 2], kv.get('w'), kv.notFound),
      done(2, [1, 2], kv.range('q', 's'), kv.entries()),
      done(2, [1, 2], kv.range('a', 'z'), kv.entries(['x', 'seen'])),
      pending(1, 0, kv.put('v', '1')), // 11: two writers of (v, 1): no bound
      done(2, [1, 2], kv.put('v', '1'), kv.ok),
      done(2, [3, 4], kv.get('v'), kv.found('1')),
    ]);
    expect([...kvModel.pendingHints!(ops)]).toEqual([
      { index: 0, kind: 'observedBy', observers: [7, 10] },
      { index: 1, kind: 'unobserved' },
      { index: 2, kind: 'unobserved' },
      { index: 3, kind: 'unobserved' },
    ]);
  });

  it('makes a check with many unseen pending writes cheap', () => {
    const h: Operation<KvInput, KvOutput>[] = [
      ...Array.from({ length: 40 }, (_, i) => pending(i, 0, kv.put('x', `lost${i}`))),
      done(100, [10, 20], kv.get('x'), kv.found('never')),
    ];
    // Without dropping them, proving this would mean visiting 2^40 subsets.
    expect(checkOperations(kvModel, h, { maxSteps: 1000 }).verdict).toBe('not-linearizable');
  });

  it('makes a check with many seen pending writes cheap', () => {
    const h: Operation<KvInput, KvOutput>[] = [];
    for (let i = 0; i < 40; i++) {
      h.push(pending(i, i * 10, kv.put('x', `p${i}`)));
      h.push(done(100 + i, [i * 10 + 5, i * 10 + 8], kv.get('x'), kv.found(`p${i}`)));
    }
    h.push(done(999, [1000, 1010], kv.get('x'), kv.found('p3')));
    // Each pending put must precede the read that saw it, so none stays open for long.
    const result = checkOperations(kvModel, h, { maxSteps: 10_000 });
    if (result.verdict !== 'not-linearizable') throw new Error(result.verdict);
    expect(result.explanation).toContain('put x=p39 → ? (never returned)  (#79 saw its effect: it happened before #79 returned)');
  });
});
