import { MAX_LISTED_IDS, MAX_PREDECESSORS, MAX_SHOWN_OPS, MAX_SHOWN_PREFIX_STEPS } from './defaults.js';
import type { Model } from './model.js';
import type { RankedOp } from './normalize.js';
import type { ShrunkFailure } from './shrink.js';

export interface ViolationContext<S, I, O> {
  readonly model: Model<S, I, O>;
  readonly key: string;
  /** The failing partition as checked, before shrinking. */
  readonly partition: readonly RankedOp<I, O>[];
  readonly failure: ShrunkFailure<I, O>;
}

/**
 * A report a person can follow without the checker's source: the failing
 * sub-history in call order, the longest order the search could justify with
 * the state after each step, and why nothing can come next.
 */
export function explainViolation<S, I, O>(ctx: ViolationContext<S, I, O>): string {
  const { model, key, partition, failure } = ctx;
  const { ops, longestPrefix, cutRank } = failure;
  const describeOp = (op: RankedOp<I, O>, output: O | undefined = op.output): string =>
    model.describeOperation?.(op.input, output) ?? `${JSON.stringify(op.input)} → ${output === undefined ? '? (never returned)' : JSON.stringify(output)}`;
  const describeState = (s: S): string => model.describeState?.(s) ?? JSON.stringify(s);
  const original = new Map(partition.map((op) => [op.id, op]));
  // An operation that returned after the cut is pending here, but the reader should see what it really answered.
  const describeShown = (op: RankedOp<I, O>): string => {
    const orig = original.get(op.id)!;
    if (op.output === undefined && orig.output !== undefined) return `${describeOp(op, orig.output)}  (still running at the cut)`;
    if (op.seenBy !== undefined) return `${describeOp(op)}  (#${op.seenBy} saw its effect: it happened before #${op.seenBy} returned)`;
    return describeOp(op);
  };
  const idWidth = Math.max(...ops.map((op) => `#${op.id}`.length));
  const ref = (op: RankedOp<I, O>): string => `#${op.id}`.padEnd(idWidth);

  const lines: string[] = [];
  // Keys are raw strings; an empty or padded one would vanish from the sentence.
  const shownKey = key !== '' && key.trim() === key ? key : JSON.stringify(key);
  lines.push(`Not linearizable (model ${model.name}), key ${shownKey}.`);
  if (cutRank === Infinity) {
    lines.push(`The failing sub-history is the whole partition of this key: ${ops.length} operation(s).`);
  } else {
    const last = ops.find((op) => op.returnRank === cutRank)!;
    lines.push(
      `The partition of this key has ${partition.length} operation(s); shown are the ${ops.length} called up to the return of ` +
        `#${last.id}, the shortest prefix of its history that no order explains. Operations still running at that point are ` +
        `treated as pending, as if the history ended there.`,
    );
  }

  lines.push('', 'Operations in call order ([call, return] times as recorded):');
  const sorted = [...ops].sort((a, b) => a.callRank - b.callRank);
  const intervals = sorted.map((op) => `[${fmt(op.callTimeMs)}, ${fmt(original.get(op.id)!.returnTimeMs)}${original.get(op.id)!.output === undefined ? ')' : ']'}`);
  const intervalWidth = Math.max(...intervals.map((s) => s.length));
  const skipOps = Math.max(0, sorted.length - MAX_SHOWN_OPS);
  if (skipOps > 0) lines.push(`  … ${skipOps} earlier operation(s) omitted (see the result's \`operations\`)`);
  sorted.forEach((op, i) => {
    if (i < skipOps) return;
    const what = describeShown(op);
    lines.push(`  ${ref(op)}  ${intervals[i]!.padEnd(intervalWidth)}  client ${String(op.clientId)}  ${what}`);
  });

  // Replay the prefix for the states after each step; every step was accepted during the search.
  let state = model.init();
  lines.push('', `Longest linearizable prefix found: ${longestPrefix.length} of ${ops.length} operation(s).`);
  if (longestPrefix.length === 0) lines.push(`  (none: no operation can go first from the initial state ${describeState(state)})`);
  const prefixTexts = longestPrefix.map((i) => describeShown(ops[i]!));
  const textWidth = Math.max(0, ...prefixTexts.slice(-MAX_SHOWN_PREFIX_STEPS).map((t) => t.length));
  const skipSteps = Math.max(0, longestPrefix.length - MAX_SHOWN_PREFIX_STEPS);
  longestPrefix.forEach((i, n) => {
    state = model.step(state, ops[i]!.input, ops[i]!.output)[1];
    if (n === skipSteps - 1) lines.push(`  … ${skipSteps} earlier step(s) omitted, reaching ${describeState(state)}`);
    if (n < skipSteps) return;
    lines.push(`  ${String(n + 1).padStart(String(longestPrefix.length).length)}. ${ref(ops[i]!)}  ${prefixTexts[n]!.padEnd(textWidth)}  ⇒ ${describeState(state)}`);
  });

  const done = new Set(longestPrefix);
  const remaining = ops.map((_, i) => i).filter((i) => !done.has(i));
  // Only operations called before the earliest remaining return may go next;
  // everything else is ordered after that return by real time.
  const firstReturn = remaining.reduce<number | undefined>((best, i) => (best === undefined || ops[i]!.returnRank < ops[best]!.returnRank ? i : best), undefined);
  if (firstReturn === undefined) return lines.join('\n');
  const bound = ops[firstReturn]!.returnRank;
  const candidates = remaining.filter((i) => ops[i]!.callRank < bound).sort((a, b) => ops[a]!.callRank - ops[b]!.callRank);
  const later = remaining.filter((i) => ops[i]!.callRank > bound);
  lines.push('', `From state ${describeState(state)}, none of the operations that may come next is possible:`);
  for (const i of candidates) {
    const op = ops[i]!;
    const [ok] = model.step(state, op.input, op.output);
    // The search tried each of these here; any it could take would have made the prefix longer.
    lines.push(`  ${ref(op)}  ${describeShown(op)}  ${ok ? 'accepted here, but every order that continues from it fails' : `impossible in state ${describeState(state)}`}`);
    // Real-time predecessors are what rule out the states the operation would fit, so name the latest ones.
    const before = ops.filter((o) => o.output !== undefined && o.returnRank < op.callRank).sort((a, b) => b.returnRank - a.returnRank);
    if (before.length > 0) {
      const shown = before.slice(0, MAX_PREDECESSORS).map((o) => `#${o.id}`);
      const more = before.length > MAX_PREDECESSORS ? ` and ${before.length - MAX_PREDECESSORS} earlier` : '';
      lines.push(`  ${' '.repeat(idWidth)}  must follow ${shown.join(', ')}${more}, which returned before it was called`);
    }
  }
  if (later.length > 0) {
    const first = ops[firstReturn]!;
    const when = first.output === undefined ? `#${first.seenBy ?? first.id} saw the effect of #${first.id}` : `#${first.id} returned`;
    lines.push(`The other ${later.length} remaining operation(s) (${listIds(later.map((i) => ops[i]!.id))}) were called after ${when}, so they cannot be ordered before #${first.id}.`);
  }
  return lines.join('\n');
}

function listIds(ids: readonly number[]): string {
  const shown = ids.slice(0, MAX_LISTED_IDS).map((id) => `#${id}`);
  if (ids.length > MAX_LISTED_IDS) shown.push(`… ${ids.length - MAX_LISTED_IDS} more`);
  return shown.join(', ');
}

function fmt(t: number): string {
  if (t === Infinity) return '∞';
  return Number.isInteger(t) ? String(t) : String(Number(t.toFixed(3)));
}
