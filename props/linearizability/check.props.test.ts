import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEvents, checkOperations } from './check.js';
import type { HistoryEvent, Operation } from './history.js';
import { executeKvPlan, plannedOpArbitrary, type PlanShape } from './kv-history-gen.js';
import { kvModel, type KvInput, type KvOutput } from './kv-model.js';
import { checkProperty } from '../support.js';

type KvOp = Operation<KvInput, KvOutput>;

const FILE = import.meta.url;
/** A budget no linearizable history from these generators comes near; hitting it is a failure too. */
const MAX_STEPS = 2_000_000;

const pointShape: PlanShape = { keys: 4, maxSlackMs: 40, ranges: false, clients: 5 };
const rangeShape: PlanShape = { keys: 5, maxSlackMs: 30, ranges: true, clients: 5 };

function planArbitrary(shape: PlanShape, maxLength: number) {
  return fc.array(plannedOpArbitrary(shape), { minLength: 1, maxLength });
}

/** The latest finite time in a history: anything called after it follows every completed operation. */
function endOf(ops: readonly KvOp[]): number {
  return Math.max(...ops.map((op) => (op.status === 'ok' ? op.returnTimeMs : op.callTimeMs)));
}

/** The same history as events, ordered as `checkOperations` orders equal times (calls first). */
function toEvents(ops: readonly KvOp[]): HistoryEvent<KvInput, KvOutput>[] {
  const evs: { t: number; r: number; e: HistoryEvent<KvInput, KvOutput> }[] = [];
  ops.forEach((op, opId) => {
    evs.push({ t: op.callTimeMs, r: 0, e: { kind: 'call', opId, clientId: op.clientId, input: op.input } });
    if (op.status === 'ok') evs.push({ t: op.returnTimeMs, r: 1, e: { kind: 'return', opId, output: op.output } });
    if (op.status === 'failed') evs.push({ t: op.callTimeMs, r: 1, e: { kind: 'fail', opId } });
  });
  return evs.sort((a, b) => a.t - b.t || a.r - b.r).map((x) => x.e);
}

describe('histories from a sequential execution with random overlaps', () => {
  it('are linearizable (point operations)', async () => {
    await checkProperty(
      FILE,
      fc.property(planArbitrary(pointShape, 80), (plan) => {
        const result = checkOperations(kvModel, executeKvPlan(plan), { maxSteps: MAX_STEPS });
        expect(result.verdict).toBe('linearizable');
      }),
      200,
    );
  });

  it('are linearizable (with range reads and range deletes)', async () => {
    await checkProperty(
      FILE,
      fc.property(planArbitrary(rangeShape, 50), (plan) => {
        const result = checkOperations(kvModel, executeKvPlan(plan), { maxSteps: MAX_STEPS });
        expect(result.verdict).toBe('linearizable');
      }),
      200,
    );
  });

  it('get the same verdict as events and as timed operations', async () => {
    await checkProperty(
      FILE,
      fc.property(planArbitrary(pointShape, 40), fc.boolean(), (plan, corrupt) => {
        const ops = executeKvPlan(plan);
        if (corrupt) ops.push({ status: 'ok', clientId: 0, input: { kind: 'get', key: 'k000' }, output: { kind: 'found', value: 'nobody' }, callTimeMs: 0, returnTimeMs: 1 });
        expect(checkEvents(kvModel, toEvents(ops)).verdict).toBe(checkOperations(kvModel, ops).verdict);
      }),
      100,
    );
  });
});

describe('mutations that provably break linearizability', () => {
  it('a completed read returning a value nobody wrote is rejected, and shown', async () => {
    await checkProperty(
      FILE,
      fc.property(planArbitrary(rangeShape, 50), fc.nat(), (plan, pick) => {
        const ops = executeKvPlan(plan);
        const reads = ops.flatMap((op, i) => (op.status === 'ok' && op.input.kind === 'get' ? [i] : []));
        fc.pre(reads.length > 0);
        const target = reads[pick % reads.length]!;
        const read = ops[target]! as Extract<KvOp, { status: 'ok' }>;
        // No put writes "never-written", so no state of any order has it.
        ops[target] = { ...read, output: { kind: 'found', value: 'never-written' } };
        const result = checkOperations(kvModel, ops, { maxSteps: MAX_STEPS });
        expect(result.verdict).toBe('not-linearizable');
        if (result.verdict === 'not-linearizable') {
          expect(result.operations.some((op) => op.id === target)).toBe(true);
          expect(result.explanation).toContain('never-written');
        }
      }),
      200,
    );
  });

  it('a stale read after a completed overwrite is rejected', async () => {
    await checkProperty(
      FILE,
      fc.property(planArbitrary(pointShape, 60), fc.nat(), (plan, pick) => {
        // Unique values: the only write of `old` is the chosen completed put.
        const ops = executeKvPlan(plan, { uniqueValues: true });
        const puts = ops.flatMap((op, i) => (op.status === 'ok' && op.input.kind === 'put' ? [i] : []));
        fc.pre(puts.length > 0);
        const put = ops[puts[pick % puts.length]!]!.input as Extract<KvInput, { kind: 'put' }>;
        const t = endOf(ops);
        // After everything completed: overwrite the key, then read the old value back.
        // Only pending operations can fall between the overwrite and the read, and
        // none of them writes `old`, so the read cannot be explained.
        ops.push(
          { status: 'ok', clientId: 'w', input: { kind: 'put', key: put.key, value: 'fresh' }, output: { kind: 'ok' }, callTimeMs: t + 10, returnTimeMs: t + 20 },
          { status: 'ok', clientId: 'r', input: { kind: 'get', key: put.key }, output: { kind: 'found', value: put.value }, callTimeMs: t + 30, returnTimeMs: t + 40 },
        );
        const result = checkOperations(kvModel, ops, { maxSteps: MAX_STEPS });
        expect(result.verdict).toBe('not-linearizable');
        if (result.verdict === 'not-linearizable') expect(result.key).toBe(put.key);
      }),
      200,
    );
  });
});
