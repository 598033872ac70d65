import { describe, expect, it } from 'vitest';
import { checkOperations, type CheckResult, type NotLinearizable } from './check.js';
import { done, pending, toOperation } from './history-builders.js';
import type { Operation } from './history.js';
import { kv, kvModel, type KvInput, type KvOutput } from './kv-model.js';

type KvOp = Operation<KvInput, KvOutput>;

function violation(result: CheckResult<KvInput, KvOutput>): NotLinearizable<KvInput, KvOutput> {
  if (result.verdict !== 'not-linearizable') throw new Error(`expected a violation, got ${result.verdict}`);
  return result;
}

describe('explanations', () => {
  it('reads as a report a person can follow', () => {
    const h: KvOp[] = [
      done(1, [0, 10], kv.put('x', '1'), kv.ok),
      done(1, [20, 30], kv.put('x', '2'), kv.ok),
      pending(3, 25, kv.put('x', '3')),
      done(2, [40, 50], kv.get('x'), kv.found('1')),
      done(2, [60, 70], kv.get('x'), kv.found('3')),
    ];
    expect(violation(checkOperations(kvModel, h)).explanation).toBe(
      [
        'Not linearizable (model kv), key x.',
        'The partition of this key has 5 operation(s); shown are the 4 called up to the return of #3, the shortest prefix of ' +
          'its history that no order explains. Operations still running at that point are treated as pending, as if the history ended there.',
        '',
        'Operations in call order ([call, return] times as recorded):',
        '  #0  [0, 10]   client 1  put x=1 → ok',
        '  #1  [20, 30]  client 1  put x=2 → ok',
        '  #2  [25, ∞)   client 3  put x=3 → ? (never returned)',
        '  #3  [40, 50]  client 2  get x → 1',
        '',
        'Longest linearizable prefix found: 3 of 4 operation(s).',
        '  1. #0  put x=1 → ok                  ⇒ {x=1}',
        '  2. #1  put x=2 → ok                  ⇒ {x=2}',
        '  3. #2  put x=3 → ? (never returned)  ⇒ {x=3}',
        '',
        'From state {x=3}, none of the operations that may come next is possible:',
        '  #3  get x → 1  impossible in state {x=3}',
        '      must follow #1, #0, which returned before it was called',
      ].join('\n'),
    );
  });

  it('cuts a long partition at the first answer no order explains', () => {
    const h: KvOp[] = [];
    for (let i = 0; i < 10; i++) h.push(done(1, [i * 10, i * 10 + 5], kv.put('x', `a${i}`), kv.ok));
    h.push(done(2, [100, 130], kv.get('x'), kv.found('a3'))); // stale: a9 was written before it started
    h.push(done(3, [120, 140], kv.put('x', 'late'), kv.ok)); // running when the bad read returned
    for (let i = 0; i < 30; i++) h.push(done(1, [200 + i * 10, 205 + i * 10], kv.put('x', `b${i}`), kv.ok));
    const v = violation(checkOperations(kvModel, h));
    expect(v.operations.map((op) => op.id)).toEqual([...Array.from({ length: 12 }, (_, i) => i)]);
    // The put still running at the cut is judged as pending, and the report says what it really answered.
    expect(v.operations[11]!.output).toBeUndefined();
    expect(v.explanation).toContain('put x=late → ok  (still running at the cut)');
    expect(v.explanation).toContain('#10  get x → a3  impossible in state');
  });

  it('returns a failing sub-history that fails again when checked alone', () => {
    const h: KvOp[] = [
      done(1, [0, 100], kv.put('x', '1'), kv.ok),
      done(2, [0, 100], kv.put('x', '2'), kv.ok),
      done(3, [10, 20], kv.get('x'), kv.found('1')),
      done(3, [30, 40], kv.get('x'), kv.found('2')),
      done(4, [10, 20], kv.get('x'), kv.found('2')),
      done(4, [30, 40], kv.get('x'), kv.found('1')),
      done(5, [200, 210], kv.put('y', '1'), kv.ok),
    ];
    const v = violation(checkOperations(kvModel, h));
    expect(checkOperations(kvModel, v.operations.map(toOperation)).verdict).toBe('not-linearizable');
    // The longest prefix is itself linearizable, in the order given.
    expect(v.longestPrefix.length).toBeGreaterThan(0);
    expect(v.longestPrefix.length).toBeLessThan(v.operations.length);
  });

  it('shows the whole partition when asked not to minimize', () => {
    const h: KvOp[] = [
      done(1, [0, 10], kv.put('x', '1'), kv.ok),
      done(2, [20, 30], kv.get('x'), kv.notFound),
      done(2, [40, 50], kv.get('x'), kv.found('1')),
    ];
    const v = violation(checkOperations(kvModel, h, { minimize: false }));
    expect(v.operations).toHaveLength(3);
    expect(v.explanation).toContain('the whole partition of this key: 3 operation(s)');
    expect(violation(checkOperations(kvModel, h)).operations).toHaveLength(2);
  });

  it('explains an impossible first operation', () => {
    const v = violation(checkOperations(kvModel, [done(1, [0, 10], kv.get('x'), kv.found('ghost'))]));
    expect(v.longestPrefix).toEqual([]);
    expect(v.explanation).toContain('(none: no operation can go first from the initial state {})');
  });

  it('abbreviates long sub-histories but keeps them whole in the result', () => {
    const h: KvOp[] = [];
    for (let i = 0; i < 100; i++) h.push(done(1, [i * 10, i * 10 + 5], kv.put('x', `v${i}`), kv.ok));
    h.push(done(2, [1000, 1010], kv.get('x'), kv.found('v0')));
    const v = violation(checkOperations(kvModel, h));
    expect(v.operations).toHaveLength(101);
    expect(v.explanation).toContain('… 61 earlier operation(s) omitted');
    expect(v.explanation).toContain('… 80 earlier step(s) omitted, reaching {x=v79}');
    expect(v.explanation).toContain('must follow #99, #98, #97, #96 and 96 earlier');
  });
});
