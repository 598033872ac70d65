import { Budget, type BudgetOptions } from './budget.js';
import { ModelContractError } from './errors.js';
import { explainViolation } from './explain.js';
import type { HistoryEvent, HistoryOp, Operation } from './history.js';
import type { Model, Partition } from './model.js';
import { rankEvents, rankOperations, type RankedOp } from './normalize.js';
import { narrowPending } from './pending.js';
import { searchLinearization } from './search.js';
import { shrinkToShortestFailingPrefix } from './shrink.js';

export interface CheckOptions extends BudgetOptions {
  /** Shrink a failing partition to its shortest failing prefix before explaining it. Default true. */
  readonly minimize?: boolean;
}

/** How much work a check did; useful when a check is slow. */
export interface CheckStats {
  readonly partitions: number;
  readonly steps: number;
}

export type CheckResult<I, O> = Linearizable | NotLinearizable<I, O> | Inconclusive;

export interface Linearizable {
  readonly ok: true;
  readonly verdict: 'linearizable';
  readonly stats: CheckStats;
}

export interface NotLinearizable<I, O> {
  readonly ok: false;
  readonly verdict: 'not-linearizable';
  /** The partition that failed (for the KV model: the key, or the keys a range joined). */
  readonly key: string;
  /** Multi-line report for a person: the sub-history, the longest linearizable prefix, what blocked it. */
  readonly explanation: string;
  /** The failing sub-history, in call order, as it was judged (operations running at the cut are pending). */
  readonly operations: readonly HistoryOp<I, O>[];
  /** The longest linearizable prefix of `operations` the search found, in linearization order. */
  readonly longestPrefix: readonly HistoryOp<I, O>[];
  readonly stats: CheckStats;
}

/**
 * The budget ran out. `ok` is false so that `if (!result.ok) fail(...)`
 * treats "could not tell" as a failure rather than a pass.
 */
export interface Inconclusive {
  readonly ok: false;
  readonly verdict: 'unknown';
  readonly reason: string;
  /** Partitions not decided: the one being searched and those not reached. */
  readonly undecidedKeys: readonly string[];
  readonly stats: CheckStats;
}

/** Check a history given as operations with call and return times. */
export function checkOperations<S, I, O>(model: Model<S, I, O>, operations: readonly Operation<I, O>[], options: CheckOptions = {}): CheckResult<I, O> {
  return checkRanked(model, rankOperations(operations), options);
}

/** Check a history given as an ordered list of call/return/fail events. */
export function checkEvents<S, I, O>(model: Model<S, I, O>, events: readonly HistoryEvent<I, O>[], options: CheckOptions = {}): CheckResult<I, O> {
  return checkRanked(model, rankEvents(events), options);
}

function checkRanked<S, I, O>(model: Model<S, I, O>, all: readonly RankedOp<I, O>[], options: CheckOptions): CheckResult<I, O> {
  const budget = new Budget(options);
  const ops = narrowPending(model, all);
  const partitions = partitionChecked(model, ops)
    .map((p) => ({ key: p.key, ops: p.indexes.map((i) => ops[i]!) }))
    // Small partitions first: they are quick, and the first failure found is then the smallest to read.
    .sort((a, b) => a.ops.length - b.ops.length);
  const stats = (): CheckStats => ({ partitions: partitions.length, steps: budget.steps });

  for (let p = 0; p < partitions.length; p++) {
    const { key, ops: partOps } = partitions[p]!;
    // The search wants operations in call order; ids keep the caller's numbering.
    partOps.sort((a, b) => a.callRank - b.callRank);
    const outcome = searchLinearization(model, partOps, budget);
    if (outcome.kind === 'linearizable') continue;
    if (outcome.kind === 'exhausted') {
      return { ok: false, verdict: 'unknown', reason: budget.describe(), undecidedKeys: partitions.slice(p).map((q) => q.key), stats: stats() };
    }
    const failure =
      options.minimize === false
        ? { ops: partOps, longestPrefix: outcome.longestPrefix, cutRank: Infinity }
        : shrinkToShortestFailingPrefix(model, partOps, outcome.longestPrefix, budget);
    const shown = [...failure.ops].sort((a, b) => a.callRank - b.callRank);
    return {
      ok: false,
      verdict: 'not-linearizable',
      key,
      explanation: explainViolation({ model, key, partition: partOps, failure }),
      operations: shown.map(toHistoryOp),
      longestPrefix: failure.longestPrefix.map((i) => toHistoryOp(failure.ops[i]!)),
      stats: stats(),
    };
  }
  return { ok: true, verdict: 'linearizable', stats: stats() };
}

/** The model's partition, verified to cover every operation exactly once. */
function partitionChecked<S, I, O>(model: Model<S, I, O>, ops: readonly RankedOp<I, O>[]): readonly Partition[] {
  if (model.partition === undefined) return ops.length === 0 ? [] : [{ key: model.name, indexes: ops.map((_, i) => i) }];
  const parts = model.partition(ops);
  const covered = new Uint8Array(ops.length);
  for (const p of parts) {
    for (const i of p.indexes) {
      if (!Number.isInteger(i) || i < 0 || i >= ops.length) throw new ModelContractError(model.name, `partition ${p.key} holds index ${i}, outside 0..${ops.length - 1}`);
      if (covered[i] === 1) throw new ModelContractError(model.name, `operation #${ops[i]!.id} is in more than one partition`);
      covered[i] = 1;
    }
  }
  const missing = covered.indexOf(0);
  if (missing >= 0) throw new ModelContractError(model.name, `operation #${ops[missing]!.id} is in no partition`);
  return parts.filter((p) => p.indexes.length > 0);
}

function toHistoryOp<I, O>(op: RankedOp<I, O>): HistoryOp<I, O> {
  return { id: op.id, clientId: op.clientId, input: op.input, output: op.output, callTimeMs: op.callTimeMs, returnTimeMs: op.returnTimeMs };
}
