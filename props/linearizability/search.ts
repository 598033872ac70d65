import { Bitset, type BitsetSnapshot } from './bitset.js';
import type { Budget } from './budget.js';
import { combine } from './hash.js';
import type { Model } from './model.js';
import type { RankedOp } from './normalize.js';

export type SearchOutcome =
  | { readonly kind: 'linearizable' }
  /** `longestPrefix`: indexes into the searched ops, in linearization order. */
  | { readonly kind: 'violation'; readonly longestPrefix: readonly number[] }
  | { readonly kind: 'exhausted' };

/** A call or return event in the doubly linked list the search lifts operations out of. */
class Entry {
  prev: Entry | null = null;
  next: Entry | null = null;
  /** For a call, its return entry. */
  match: Entry | null = null;
  constructor(
    readonly op: number,
    readonly isCall: boolean,
    /** Position in real-time order, for building the list. */
    readonly rank: number,
  ) {}
}

/**
 * Wing and Gong's search with Lowe's just-in-time linearization and memo:
 * walk the event list; at a call, try to linearize that operation now (the
 * model accepts its output in the current state); at a return whose call is
 * still in the list, nothing before it can go next, so undo the last choice.
 * A (linearized set, state) pair seen before leads where it led before, so it
 * is skipped. Linearizing an operation lifts its call and return out of the
 * list, so the first entry of the list is always the earliest unresolved event.
 */
export function searchLinearization<S, I, O>(model: Model<S, I, O>, ops: readonly RankedOp<I, O>[], budget: Budget): SearchOutcome {
  const n = ops.length;
  if (n === 0) return { kind: 'linearizable' };
  const head = buildEntryList(ops);

  let state = model.init();
  const linearized = new Bitset(n);
  const seen = new Map<number, { bits: BitsetSnapshot; state: S }[]>();
  const stack: { entry: Entry; stateBefore: S }[] = [];
  // The longest stack so far, kept in step with the stack lazily: only the
  // part above `lowWater` (where the two may differ) is copied on a new record.
  const longest: number[] = [];
  let lowWater = 0;

  const twin = previousTwins(model, ops);

  let entry: Entry = head.next!;
  while (head.next !== null) {
    if (budget.step()) return { kind: 'exhausted' };
    if (entry.isCall) {
      const op = ops[entry.op]!;
      // An identical pending operation called earlier and still open goes first (see previousTwins).
      const before = twin[entry.op]!;
      const [ok, next] = before >= 0 && !linearized.has(before) ? SKIP : model.step(state, op.input, op.output);
      if (ok) {
        linearized.set(entry.op);
        if (remember(seen, model, linearized, next)) {
          stack.push({ entry, stateBefore: state });
          state = next;
          lift(entry);
          if (stack.length > longest.length) {
            longest.length = lowWater;
            for (let i = lowWater; i < stack.length; i++) longest.push(stack[i]!.entry.op);
            lowWater = stack.length;
          }
          entry = head.next!;
          continue;
        }
        linearized.clear(entry.op);
      }
      // A call's return is always after it, so there is a next entry.
      entry = entry.next!;
    } else {
      const top = stack.pop();
      if (top === undefined) return { kind: 'violation', longestPrefix: longest };
      if (stack.length < lowWater) lowWater = stack.length;
      state = top.stateBefore;
      linearized.clear(top.entry.op);
      unlift(top.entry);
      entry = top.entry.next!;
    }
  }
  return { kind: 'linearizable' };
}

/** A step not taken; `false` in first place lets TypeScript narrow `next` where it is taken. */
const SKIP = [false, undefined] as const;

/**
 * For each open pending operation (no output, no return), the index of the
 * last one before it in call order with the same input, else -1. The search
 * linearizes such twins in call order only: in any linearization, giving the
 * used twins' places to the earliest-called twins is still a linearization
 * (each place is after at least as many twin calls as twins placed so far),
 * so nothing is lost, and m twins cost m + 1 choices instead of 2^m.
 */
function previousTwins<S, I, O>(model: Model<S, I, O>, ops: readonly RankedOp<I, O>[]): Int32Array {
  const twin = new Int32Array(ops.length).fill(-1);
  if (model.inputKey === undefined) return twin;
  const lastByInput = new Map<string, number>();
  const byCall = ops.map((_, i) => i).sort((a, b) => ops[a]!.callRank - ops[b]!.callRank);
  for (const i of byCall) {
    const op = ops[i]!;
    if (op.output !== undefined || op.returnRank !== Infinity) continue;
    const key = model.inputKey(op.input);
    twin[i] = lastByInput.get(key) ?? -1;
    lastByInput.set(key, i);
  }
  return twin;
}

/** Sentinel head, then calls and returns in real-time order; pending returns last. */
function buildEntryList<I, O>(ops: readonly RankedOp<I, O>[]): Entry {
  const entries: Entry[] = [];
  ops.forEach((op, i) => {
    const call = new Entry(i, true, op.callRank);
    // Pending returns share rank Infinity; ordering them by call keeps the list deterministic.
    const ret = new Entry(i, false, op.returnRank);
    call.match = ret;
    entries.push(call, ret);
  });
  entries.sort((a, b) => {
    if (a.rank !== b.rank) return a.rank < b.rank ? -1 : 1;
    return ops[a.op]!.callRank - ops[b.op]!.callRank;
  });
  const head = new Entry(-1, false, -Infinity);
  let prev = head;
  for (const e of entries) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  return head;
}

/** Unlink a call and its return; `unlift` in reverse (stack) order restores them exactly. */
function lift(call: Entry): void {
  call.prev!.next = call.next;
  call.next!.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next !== null) ret.next.prev = ret.prev;
}

function unlift(call: Entry): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next !== null) ret.next.prev = ret;
  call.prev!.next = call;
  call.next!.prev = call;
}

/** Record (linearized, state); false when it was already there. */
function remember<S, I, O>(seen: Map<number, { bits: BitsetSnapshot; state: S }[]>, model: Model<S, I, O>, linearized: Bitset, state: S): boolean {
  const h = combine(linearized.hash, model.hash(state));
  const bucket = seen.get(h);
  if (bucket === undefined) {
    seen.set(h, [{ bits: linearized.snapshot(), state }]);
    return true;
  }
  for (const e of bucket) if (linearized.matches(e.bits) && model.equal(e.state, state)) return false;
  bucket.push({ bits: linearized.snapshot(), state });
  return true;
}
