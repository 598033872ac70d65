import { ModelContractError } from './errors.js';
import type { Model } from './model.js';
import type { RankedOp } from './normalize.js';

/**
 * Narrow the pending operations using what the completed ones reveal, before
 * the search sees them. A pending operation is free to take effect anywhere
 * after its call, and each one left free multiplies the search space by up
 * to two for the rest of the history; in a long run with timeouts that is
 * the difference between milliseconds and never.
 *
 * - Pending read-only operations are dropped: no effect, and nobody saw their answer.
 * - `unobserved` ones are dropped: taking effect last is always allowed and changes nothing seen.
 * - `observedBy` ones get a return: the earliest return among their observers.
 */
export function narrowPending<S, I, O>(model: Model<S, I, O>, all: readonly RankedOp<I, O>[]): RankedOp<I, O>[] {
  const ops = all.filter((op) => !(op.output === undefined && model.readOnly?.(op.input) === true));
  if (model.pendingHints === undefined) return ops;
  const dropped = new Set<number>();
  const bounded = new Map<number, RankedOp<I, O>>();
  for (const hint of model.pendingHints(ops)) {
    const op = ops[hint.index];
    if (op === undefined || op.output !== undefined) {
      throw new ModelContractError(model.name, `pending hint names index ${hint.index}, which is not a pending operation`);
    }
    if (hint.kind === 'unobserved') {
      dropped.add(hint.index);
      continue;
    }
    let first: RankedOp<I, O> | undefined;
    for (const o of hint.observers) {
      const observer = ops[o];
      if (observer === undefined || observer.output === undefined) {
        throw new ModelContractError(model.name, `pending hint for #${op.id} names observer index ${o}, which is not a completed operation`);
      }
      if (first === undefined || observer.returnRank < first.returnRank) first = observer;
    }
    // An observer that returned before the call cannot have seen it: the
    // history fails anyway, and the search will say so without the bound.
    if (first !== undefined && first.returnRank > op.callRank) {
      bounded.set(hint.index, { ...op, returnRank: first.returnRank, seenBy: first.id });
    }
  }
  return ops.flatMap((op, i) => (dropped.has(i) ? [] : [bounded.get(i) ?? op]));
}
