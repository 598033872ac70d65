import type { Budget } from './budget.js';
import type { Model } from './model.js';
import { cutAt, type RankedOp } from './normalize.js';
import { searchLinearization } from './search.js';

export interface ShrunkFailure<I, O> {
  /** The failing sub-history to show. */
  readonly ops: readonly RankedOp<I, O>[];
  /** Indexes into `ops`, in linearization order. */
  readonly longestPrefix: readonly number[];
  /** Event rank the history was cut after; `Infinity` when it was not cut. */
  readonly cutRank: number;
}

/**
 * Find the shortest failing prefix of a failing partition, by binary search
 * over the return events: the prefix up to each return is either linearizable
 * or not, and once it is not, no longer prefix is (a linearization of the
 * longer one restricts to the shorter). A person then reads a history that
 * ends at the first answer no order can explain, not the whole partition.
 * Stops early, keeping what it has, if the budget runs out.
 */
export function shrinkToShortestFailingPrefix<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly RankedOp<I, O>[],
  longestPrefix: readonly number[],
  budget: Budget,
): ShrunkFailure<I, O> {
  const returns = ops.map((op) => op.returnRank).filter((r) => r !== Infinity).sort((a, b) => a - b);
  let best: ShrunkFailure<I, O> = { ops, longestPrefix, cutRank: Infinity };
  // Invariant: the prefix up to returns[hi] fails (the whole history fails,
  // and dropping operations that start after the last return only removes
  // pending ones, which can never make a history fail).
  let lo = 0;
  let hi = returns.length - 1;
  if (hi < 0) return best;
  // Failing probes are the expensive ones (they exhaust every order), so try
  // first where the search got stuck: the return of the earliest-returning
  // operation it could not place. That cut usually fails, and is usually the
  // answer, leaving only cheap linearizable probes below it.
  const placed = new Set(longestPrefix);
  let stuckAt = Infinity;
  ops.forEach((op, i) => {
    if (!placed.has(i) && op.returnRank < stuckAt) stuckAt = op.returnRank;
  });
  let guess = stuckAt === Infinity ? -1 : returns.indexOf(stuckAt);
  while (lo < hi) {
    const mid = guess >= lo && guess < hi ? guess : (lo + hi) >>> 1;
    guess = -1;
    const cut = cutAt(ops, returns[mid]!);
    const outcome = searchLinearization(model, cut, budget);
    if (outcome.kind === 'exhausted') return best;
    if (outcome.kind === 'violation') {
      best = { ops: cut, longestPrefix: outcome.longestPrefix, cutRank: returns[mid]! };
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  if (best.cutRank !== returns[hi]) {
    const cut = cutAt(ops, returns[hi]!);
    const outcome = searchLinearization(model, cut, budget);
    if (outcome.kind === 'violation') best = { ops: cut, longestPrefix: outcome.longestPrefix, cutRank: returns[hi]! };
  }
  return best;
}
