import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../runtime/random.js';
import { checkOperations } from './check.js';
import type { Operation } from './history.js';
import { executeKvPlan, randomKvPlan } from './kv-history-gen.js';
import { kvModel, type KvInput, type KvOutput } from './kv-model.js';

// No timing assertions: these only have to finish inside vitest's timeout,
// which a search without memo or partitioning would not.

describe('large histories', () => {
  it('checks 5000 operations over 200 keys, with pending and failed ones', () => {
    const plan = randomKvPlan(new SeededRandom(1), 5000, { keys: 200, maxSlackMs: 60, ranges: false, clients: 16 });
    const result = checkOperations(kvModel, executeKvPlan(plan));
    expect(result).toMatchObject({ ok: true, verdict: 'linearizable' });
    expect(result.stats.partitions).toBe(200);
  });

  it('checks 3000 operations on a single key with heavy overlap', () => {
    const plan = randomKvPlan(new SeededRandom(2), 3000, { keys: 1, maxSlackMs: 40, ranges: false, clients: 8 });
    expect(checkOperations(kvModel, executeKvPlan(plan)).verdict).toBe('linearizable');
  });

  it('checks 2000 operations whose range operations join keys into larger partitions', () => {
    const plan = randomKvPlan(new SeededRandom(3), 2000, { keys: 400, maxSlackMs: 30, ranges: true, clients: 8 });
    const result = checkOperations(kvModel, executeKvPlan(plan));
    expect(result.verdict).toBe('linearizable');
    expect(result.stats.partitions).toBeLessThan(400);
  });

  it('finds and shrinks one bad read among 5000 operations', () => {
    const ops: Operation<KvInput, KvOutput>[] = executeKvPlan(randomKvPlan(new SeededRandom(4), 5000, { keys: 20, maxSlackMs: 60, ranges: false, clients: 16 }));
    const target = ops.findIndex((op, i) => i > 2500 && op.status === 'ok' && op.input.kind === 'get');
    const read = ops[target]! as Extract<Operation<KvInput, KvOutput>, { status: 'ok' }>;
    ops[target] = { ...read, output: { kind: 'found', value: 'never-written' } };
    const result = checkOperations(kvModel, ops);
    if (result.verdict !== 'not-linearizable') throw new Error(`expected a violation, got ${result.verdict}`);
    expect(result.key).toBe((read.input as { key: string }).key);
    // The shortest failing prefix ends at the bad read, so its last return is the bad read's.
    const lastReturn = Math.max(...result.operations.filter((op) => op.output !== undefined).map((op) => op.returnTimeMs));
    expect(lastReturn).toBe(read.returnTimeMs);
  });
});
