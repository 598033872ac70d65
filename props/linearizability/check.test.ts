import { describe, expect, it } from 'vitest';
import { checkEvents, checkOperations, type CheckResult } from './check.js';
import { InvalidHistoryError, ModelContractError } from './errors.js';
import { done, failed, pending } from './history-builders.js';
import type { HistoryEvent, Operation } from './history.js';
import { kv, kvModel, type KvInput, type KvOutput } from './kv-model.js';
import { register, registerModel, type RegisterInput, type RegisterOutput } from './register-model.js';

type KvOp = Operation<KvInput, KvOutput>;

function check(ops: readonly KvOp[]): CheckResult<KvInput, KvOutput> {
  return checkOperations(kvModel, ops);
}

function expectViolation(result: CheckResult<KvInput, KvOutput>, key: string): string {
  if (result.verdict !== 'not-linearizable') throw new Error(`expected a violation, got ${result.verdict}`);
  expect(result.ok).toBe(false);
  expect(result.key).toBe(key);
  return result.explanation;
}

describe('known linearizable histories', () => {
  it('accepts the empty history', () => {
    expect(check([])).toMatchObject({ ok: true, verdict: 'linearizable' });
  });

  it('accepts a sequential history', () => {
    const h = [
      done(1, [0, 10], kv.get('x'), kv.notFound),
      done(1, [20, 30], kv.put('x', '1'), kv.ok),
      done(2, [40, 50], kv.get('x'), kv.found('1')),
      done(2, [60, 70], kv.delete('x'), kv.ok),
      done(1, [80, 90], kv.get('x'), kv.notFound),
    ];
    expect(check(h).ok).toBe(true);
  });

  it('lets a read concurrent with a write see either value', () => {
    const h = [
      done(1, [0, 10], kv.put('x', '1'), kv.ok),
      done(2, [20, 50], kv.put('x', '2'), kv.ok),
      done(3, [25, 30], kv.get('x'), kv.found('2')),
      done(4, [26, 31], kv.get('x'), kv.found('1')),
    ];
    // Reader 4 overlaps reader 3, so it may be ordered before the write.
    expect(check(h).ok).toBe(true);
  });

  it('accepts concurrent writes when all readers agree on their order', () => {
    const h = [
      done(1, [0, 100], kv.put('x', '1'), kv.ok),
      done(2, [0, 100], kv.put('x', '2'), kv.ok),
      done(3, [10, 20], kv.get('x'), kv.found('1')),
      done(3, [30, 40], kv.get('x'), kv.found('2')),
      done(4, [10, 20], kv.get('x'), kv.found('1')),
      done(4, [30, 40], kv.get('x'), kv.found('2')),
    ];
    expect(check(h).ok).toBe(true);
  });

  it('treats equal call and return times as concurrent', () => {
    const h = [done(1, [0, 10], kv.put('x', '1'), kv.ok), done(2, [10, 20], kv.get('x'), kv.notFound)];
    expect(check(h).ok).toBe(true);
  });
});

describe('known non-linearizable histories', () => {
  it('rejects a stale read after a completed write', () => {
    const h = [
      done(1, [0, 10], kv.put('x', '1'), kv.ok),
      done(1, [20, 30], kv.put('x', '2'), kv.ok),
      done(2, [40, 50], kv.get('x'), kv.found('1')),
    ];
    const text = expectViolation(check(h), 'x');
    expect(text).toContain('#2  get x → 1  impossible in state {x=2}');
  });

  it('rejects a read of a value never written', () => {
    const h = [done(1, [0, 10], kv.put('x', '1'), kv.ok), done(2, [5, 15], kv.get('x'), kv.found('7'))];
    expectViolation(check(h), 'x');
  });

  it('rejects two sequential reads that go backwards', () => {
    const h = [
      done(1, [0, 10], kv.put('x', '1'), kv.ok),
      done(2, [20, 100], kv.put('x', '2'), kv.ok),
      done(3, [30, 40], kv.get('x'), kv.found('2')),
      done(3, [50, 60], kv.get('x'), kv.found('1')),
    ];
    expectViolation(check(h), 'x');
    // The same reads in the other order are fine: the write lands between them.
    const forwards = [h[0]!, h[1]!, done(3, [30, 40], kv.get('x'), kv.found('1')), done(3, [50, 60], kv.get('x'), kv.found('2'))];
    expect(check(forwards).ok).toBe(true);
  });

  it('rejects readers that observe two concurrent writes in opposite orders', () => {
    const h = [
      done(1, [0, 100], kv.put('x', '1'), kv.ok),
      done(2, [0, 100], kv.put('x', '2'), kv.ok),
      done(3, [10, 20], kv.get('x'), kv.found('1')),
      done(3, [30, 40], kv.get('x'), kv.found('2')),
      done(4, [10, 20], kv.get('x'), kv.found('2')),
      done(4, [30, 40], kv.get('x'), kv.found('1')),
    ];
    expectViolation(check(h), 'x');
  });

  it('rejects a read that sees a deleted value after the delete completed', () => {
    const h = [
      done(1, [0, 10], kv.put('x', '1'), kv.ok),
      done(1, [20, 30], kv.delete('x'), kv.ok),
      done(2, [40, 50], kv.get('x'), kv.found('1')),
    ];
    expectViolation(check(h), 'x');
  });

  it('names the failing key and leaves the others out of the explanation', () => {
    const h = [
      done(1, [0, 10], kv.put('x', '1'), kv.ok),
      done(2, [0, 10], kv.put('y', '1'), kv.ok),
      done(1, [20, 30], kv.get('x'), kv.found('1')),
      done(2, [20, 30], kv.get('y'), kv.notFound),
    ];
    const text = expectViolation(check(h), 'y');
    expect(text).not.toContain('get x');
  });

  it('rejects when outputs have the wrong shape for the operation', () => {
    const h = [done(1, [0, 10], kv.get('x'), kv.ok)];
    expectViolation(check(h), 'x');
  });
});

describe('pending and failed operations', () => {
  it('lets a pending write explain a read', () => {
    const h = [done(1, [0, 10], kv.put('x', '1'), kv.ok), pending(2, 20, kv.put('x', '2')), done(3, [30, 40], kv.get('x'), kv.found('2'))];
    expect(check(h).ok).toBe(true);
  });

  it('lets a pending write never take effect', () => {
    const h = [
      done(1, [0, 10], kv.put('x', '1'), kv.ok),
      pending(2, 20, kv.put('x', '2')),
      done(3, [30, 40], kv.get('x'), kv.found('1')),
      done(3, [1000, 1010], kv.get('x'), kv.found('1')),
    ];
    expect(check(h).ok).toBe(true);
  });

  it('lets a pending write take effect late, but only once', () => {
    const base = [done(1, [0, 10], kv.put('x', '1'), kv.ok), pending(2, 20, kv.put('x', '2'))];
    const late = [...base, done(3, [30, 40], kv.get('x'), kv.found('1')), done(3, [900, 910], kv.get('x'), kv.found('2'))];
    expect(check(late).ok).toBe(true);
    const flipFlop = [...base, done(3, [30, 40], kv.get('x'), kv.found('2')), done(3, [900, 910], kv.get('x'), kv.found('1'))];
    expectViolation(check(flipFlop), 'x');
  });

  it('does not let a pending write take effect before it was called', () => {
    const h = [done(1, [0, 10], kv.get('x'), kv.found('2')), pending(2, 20, kv.put('x', '2'))];
    expectViolation(check(h), 'x');
  });

  it('drops failed operations: their effect never happened', () => {
    const h = [failed(2, 0, kv.put('x', '2')), done(3, [30, 40], kv.get('x'), kv.found('2'))];
    expectViolation(check(h), 'x');
  });

  it('uses identical pending operations one at a time, each only after its call', () => {
    const h = (secondDeleteCalledAtMs: number): KvOp[] => [
      pending(1, 0, kv.delete('x')),
      done(2, [10, 20], kv.put('x', '1'), kv.ok),
      done(3, [30, 40], kv.get('x'), kv.notFound),
      pending(1, secondDeleteCalledAtMs, kv.delete('x')),
      done(2, [60, 70], kv.put('x', '2'), kv.ok),
      done(3, [80, 90], kv.get('x'), kv.notFound),
    ];
    expect(check(h(50)).ok).toBe(true);
    // Called after the read that needs it: the first delete is spent, so nothing can explain that read.
    expectViolation(check(h(95)), 'x');
  });

  it('checks many identical timed-out requests without trying every subset', () => {
    // 30 timed-out writes of the same value, each read needing one more of them after another overwrite.
    const h: KvOp[] = Array.from({ length: 30 }, (_, i) => pending(1, i, kv.put('x', 'a')));
    for (let i = 0; i < 30; i++) {
      h.push(done(2, [i * 100 + 40, i * 100 + 50], kv.put('x', 'b'), kv.ok));
      h.push(done(3, [i * 100 + 60, i * 100 + 70], kv.get('x'), kv.found('a')));
    }
    expect(checkOperations(kvModel, h, { maxSteps: 150_000 }).verdict).toBe('linearizable');
    h.push(done(3, [10_000, 10_010], kv.get('x'), kv.found('c')));
    expectViolation(checkOperations(kvModel, h, { maxSteps: 150_000 }), 'x');
    // Which of the identical writes serves which read is what blows up without `inputKey`.
    expect(checkOperations({ ...kvModel, inputKey: undefined }, h, { maxSteps: 150_000 }).verdict).toBe('unknown');
  });

  it('ignores pending reads', () => {
    const h = [done(1, [0, 10], kv.put('x', '1'), kv.ok), pending(2, 5, kv.get('x'))];
    expect(check(h).ok).toBe(true);
  });
});

describe('range operations', () => {
  it('accepts a range read of a consistent snapshot, in any entry order', () => {
    const h = [
      done(1, [0, 10], kv.put('a', '1'), kv.ok),
      done(1, [20, 30], kv.put('b', '2'), kv.ok),
      done(2, [40, 50], kv.range('a', 'c'), kv.entries(['b', '2'], ['a', '1'])),
      done(2, [40, 50], kv.range('b', 'b'), kv.entries()),
    ];
    expect(check(h).ok).toBe(true);
  });

  it('rejects two scans that see concurrent writes in opposite orders (each key alone looks fine)', () => {
    const h = [
      done(1, [0, 100], kv.put('a', '1'), kv.ok),
      done(2, [0, 100], kv.put('b', '1'), kv.ok),
      done(3, [10, 90], kv.range('a', 'c'), kv.entries(['a', '1'])),
      done(4, [10, 90], kv.range('a', 'c'), kv.entries(['b', '1'])),
    ];
    const text = expectViolation(check(h), '{"a", "b"} (joined by range operations)');
    expect(text).toContain('range [a, c) → {a=1}');
  });

  it('rejects a scan that returns a key nobody wrote', () => {
    const h = [done(1, [0, 10], kv.put('a', '1'), kv.ok), done(2, [20, 30], kv.range('a', 'z'), kv.entries(['a', '1'], ['q', '9']))];
    expect(check(h).ok).toBe(false);
  });

  it('rejects a scan that misses a key written before it started', () => {
    const h = [done(1, [0, 10], kv.put('a', '1'), kv.ok), done(2, [20, 30], kv.range('a', 'z'), kv.entries())];
    expect(check(h).ok).toBe(false);
  });

  it('applies range deletes atomically', () => {
    const h = [
      done(1, [0, 10], kv.put('a', '1'), kv.ok),
      done(1, [0, 10], kv.put('b', '2'), kv.ok),
      done(1, [0, 10], kv.put('c', '3'), kv.ok),
      done(2, [20, 30], kv.deleteRange('a', 'c'), kv.ok),
      done(3, [40, 50], kv.get('a'), kv.notFound),
      done(3, [60, 70], kv.range('a', 'z'), kv.entries(['c', '3'])),
    ];
    expect(check(h).ok).toBe(true);
    expect(check([...h, done(3, [80, 90], kv.get('b'), kv.found('2'))]).ok).toBe(false);
  });

  it('keeps keys outside every range in their own partitions', () => {
    const h = [
      done(1, [0, 10], kv.put('a', '1'), kv.ok),
      done(1, [0, 10], kv.put('m', '1'), kv.ok),
      done(2, [20, 30], kv.range('a', 'b'), kv.entries(['a', '1'])),
      done(2, [20, 30], kv.get('m'), kv.notFound),
    ];
    expectViolation(check(h), 'm');
  });
});

describe('event histories', () => {
  const call = (opId: number, input: KvInput): HistoryEvent<KvInput, KvOutput> => ({ kind: 'call', opId, clientId: opId, input });
  const ret = (opId: number, output: KvOutput): HistoryEvent<KvInput, KvOutput> => ({ kind: 'return', opId, output });

  it('uses list order as real-time order, so a return before a call is ordered', () => {
    const events = [call(0, kv.put('x', '1')), ret(0, kv.ok), call(1, kv.get('x')), ret(1, kv.notFound)];
    expectViolation(checkEvents(kvModel, events), 'x');
  });

  it('treats calls without returns as pending and drops failed ones', () => {
    const events: HistoryEvent<KvInput, KvOutput>[] = [
      call(0, kv.put('x', '1')),
      call(1, kv.put('x', '2')),
      { kind: 'fail', opId: 1 },
      call(2, kv.get('x')),
      ret(2, kv.found('1')),
    ];
    expect(checkEvents(kvModel, events).ok).toBe(true);
    expect(checkEvents(kvModel, [...events.slice(0, 3), call(2, kv.get('x')), ret(2, kv.found('2'))]).ok).toBe(false);
  });

  it('numbers operations by the index of their call event', () => {
    const events = [call(7, kv.put('x', '1')), ret(7, kv.ok), call(8, kv.get('x')), ret(8, kv.found('2'))];
    const result = checkEvents(kvModel, events);
    if (result.verdict !== 'not-linearizable') throw new Error(result.verdict);
    expect(result.operations.map((op) => op.id)).toEqual([0, 2]);
  });

  it('refuses malformed event lists', () => {
    expect(() => checkEvents(kvModel, [ret(0, kv.ok)])).toThrow(InvalidHistoryError);
    expect(() => checkEvents(kvModel, [call(0, kv.get('x')), call(0, kv.get('x'))])).toThrow(/called twice/);
    expect(() => checkEvents(kvModel, [call(0, kv.get('x')), ret(0, kv.notFound), ret(0, kv.notFound)])).toThrow(/already ended/);
  });
});

describe('malformed operation histories', () => {
  it('refuses a return before its call', () => {
    expect(() => check([done(1, [10, 5], kv.get('x'), kv.notFound)])).toThrow(InvalidHistoryError);
  });

  it('refuses non-finite times', () => {
    expect(() => check([done(1, [0, Infinity], kv.get('x'), kv.notFound)])).toThrow(/pending/);
    expect(() => check([pending(1, Number.NaN, kv.put('x', '1'))])).toThrow(InvalidHistoryError);
  });

  it('refuses a model whose partition loses an operation', () => {
    const lossy = { ...kvModel, partition: () => [{ key: 'x', indexes: [0] }] };
    const h = [done(1, [0, 10], kv.put('x', '1'), kv.ok), done(1, [20, 30], kv.get('x'), kv.found('1'))];
    expect(() => checkOperations(lossy, h)).toThrow(ModelContractError);
  });
});

describe('register model', () => {
  const model = registerModel(0);
  type RegOp = Operation<RegisterInput, RegisterOutput>;

  it('accepts reads of the initial value and of writes', () => {
    const h: RegOp[] = [
      done(1, [0, 10], register.read, register.value(0)),
      done(1, [20, 30], register.write(5), register.ok),
      done(2, [25, 40], register.read, register.value(5)),
    ];
    expect(checkOperations(model, h).ok).toBe(true);
  });

  it('rejects a stale read and tells 5 from "5"', () => {
    const stale: RegOp[] = [done(1, [0, 10], register.write(5), register.ok), done(2, [20, 30], register.read, register.value(0))];
    const result = checkOperations(model, stale);
    expect(result).toMatchObject({ ok: false, verdict: 'not-linearizable', key: 'register' });
    const typed: RegOp[] = [done(1, [0, 10], register.write(5), register.ok), done(2, [20, 30], register.read, register.value('5'))];
    expect(checkOperations(model, typed).ok).toBe(false);
  });
});

describe('budget', () => {
  // Many overlapping writes of distinct values and a final impossible read:
  // proving it impossible means trying every order of the writes.
  const hard: KvOp[] = [
    ...Array.from({ length: 14 }, (_, i) => done(i, [0, 1000], kv.put('x', `v${i}`), kv.ok)),
    ...Array.from({ length: 14 }, (_, i) => done(100 + i, [0, 1000], kv.get('x'), kv.found(`v${(i * 5) % 14}`))),
    done(999, [2000, 2010], kv.get('x'), kv.found('never')),
  ];

  it('answers unknown, not ok, when the step budget runs out', () => {
    const result = checkOperations(kvModel, hard, { maxSteps: 5_000 });
    expect(result).toMatchObject({ ok: false, verdict: 'unknown', undecidedKeys: ['x'] });
    if (result.verdict === 'unknown') expect(result.reason).toContain('step budget of 5000');
  });

  it('answers unknown when the timeout passes, on the injected clock', () => {
    let t = 0;
    const result = checkOperations(kvModel, hard, { timeoutMs: 50, now: () => (t += 1) });
    expect(result).toMatchObject({ ok: false, verdict: 'unknown' });
    if (result.verdict === 'unknown') expect(result.reason).toContain('timeout of 50 ms');
  });

  it('still finds a cheap violation in one partition when budgets are generous', () => {
    const h = [...hard.slice(0, 3), done(1, [0, 10], kv.put('y', '1'), kv.ok), done(1, [20, 30], kv.get('y'), kv.notFound)];
    expectViolation(checkOperations(kvModel, h, { maxSteps: 100_000 }), 'y');
  });
});
