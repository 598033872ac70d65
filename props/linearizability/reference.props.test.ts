import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkOperations } from './check.js';
import type { Operation } from './history.js';
import { kvModel, type KvInput, type KvOutput } from './kv-model.js';
import type { KvState } from './kv-state.js';
import { checkProperty, propsParameters } from '../support.js';

type KvOp = Operation<KvInput, KvOutput>;

/**
 * The definition, executed literally: some order of all operations that
 * respects real time and that the model accepts step by step. Failed
 * operations are absent; pending ones take part with an unknown output, since
 * "never took effect" is the same as "took effect last". No partitioning, no
 * memo, no linked list: everything the real checker does cleverly is absent.
 */
function bruteForce(ops: readonly KvOp[]): boolean {
  const live = ops.filter((op) => op.status !== 'failed');
  const ret = (op: KvOp): number => (op.status === 'ok' ? op.returnTimeMs : Infinity);
  const used = new Array<boolean>(live.length).fill(false);
  const extend = (state: KvState, placed: number): boolean => {
    if (placed === live.length) return true;
    for (let i = 0; i < live.length; i++) {
      if (used[i]) continue;
      const op = live[i]!;
      // Everything that returned before `op` was called must already be placed.
      if (live.some((other, j) => !used[j] && j !== i && ret(other) < op.callTimeMs)) continue;
      const [ok, next] = kvModel.step(state, op.input, op.status === 'ok' ? op.output : undefined);
      if (!ok) continue;
      used[i] = true;
      const found = extend(next, placed + 1);
      used[i] = false;
      if (found) return true;
    }
    return false;
  };
  return extend(kvModel.init(), 0);
}

const RUNS = 1000;
const KEYS = ['a', 'b'];

/** Up to seven operations on two keys, with answers right or wrong. */
function historyArb(values: readonly string[]): fc.Arbitrary<KvOp[]> {
  const inputArb: fc.Arbitrary<KvInput> = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('put' as const), key: fc.constantFrom(...KEYS), value: fc.constantFrom(...values) }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('get' as const), key: fc.constantFrom(...KEYS) }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom(...KEYS) }), weight: 1 },
    { arbitrary: fc.constant<KvInput>({ kind: 'range', start: 'a', end: 'c' }), weight: 1 },
    { arbitrary: fc.constant<KvInput>({ kind: 'deleteRange', start: 'a', end: 'b' }), weight: 1 },
  );

  /** Any plausible answer for the input, right or wrong: roughly half of the histories are not linearizable. */
  function outputArb(input: KvInput): fc.Arbitrary<KvOutput> {
    switch (input.kind) {
      case 'get':
        return fc.oneof(fc.constant<KvOutput>({ kind: 'notFound' }), fc.constantFrom(...values).map((value): KvOutput => ({ kind: 'found', value })));
      case 'range':
        return fc
          .subarray(KEYS.flatMap((k) => values.map((v) => [k, v] as const)))
          .filter((es) => new Set(es.map(([k]) => k)).size === es.length)
          .map((entries): KvOutput => ({ kind: 'entries', entries }));
      default:
        return fc.constant<KvOutput>({ kind: 'ok' });
    }
  }

  const opArb: fc.Arbitrary<KvOp> = fc
    .record({ input: inputArb, callTimeMs: fc.nat({ max: 40 }), durationMs: fc.nat({ max: 25 }), status: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'pending', 'failed'), clientId: fc.nat({ max: 3 }) })
    .chain((r) =>
      outputArb(r.input).map((output): KvOp => {
        const base = { clientId: r.clientId, input: r.input, callTimeMs: r.callTimeMs };
        if (r.status === 'ok') return { ...base, status: 'ok', output, returnTimeMs: r.callTimeMs + r.durationMs };
        return { ...base, status: r.status === 'pending' ? 'pending' : 'failed' };
      }),
    );
  return fc.array(opArb, { maxLength: 7 });
}

describe('the checker against a brute-force enumeration of orders', () => {
  // Few values: many writers per value. More values: a write is often the
  // only one of its value, which is when pending writes get bounded.
  it.each([[['1', '2']], [['1', '2', '3', '4', '5']]])('agrees on small random histories, linearizable or not (values %j)', async (values) => {
    let violations = 0;
    await checkProperty(
      import.meta.url,
      fc.property(historyArb(values), (ops) => {
        const expected = bruteForce(ops);
        const result = checkOperations(kvModel, ops);
        if (!expected) violations++;
        expect(result.verdict).toBe(expected ? 'linearizable' : 'not-linearizable');
      }),
      RUNS,
    );
    // Both verdicts must be exercised, or the agreement means little (a
    // tiny PROPS_RUNS may legitimately see none).
    if (propsParameters(RUNS).numRuns >= 100) expect(violations).toBeGreaterThan(0);
  });
});
