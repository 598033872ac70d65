import type { HistoryOp } from './history.js';

/** `[accepted, stateAfter]`; `stateAfter` is ignored when not accepted. */
export type StepResult<S> = readonly [ok: boolean, newState: S];

/**
 * A fact about a pending operation (`index` into the array given to
 * `pendingHints`), derived from the completed operations:
 * - `unobserved`: no completed operation could have seen its effect (for KV,
 *   a put of a value no read returned). It may as well have taken effect
 *   last, where it changes nothing, so the checker drops it.
 * - `observedBy`: it is the only operation that could have produced what
 *   each of `observers` (completed operations) saw, so it took effect before
 *   the first of them returned. The checker moves its return there.
 * Each must follow from the model's semantics in every linearization, or
 * the checker can wrongly reject a history.
 */
export type PendingHint =
  | { readonly index: number; readonly kind: 'unobserved' }
  | { readonly index: number; readonly kind: 'observedBy'; readonly observers: readonly number[] };

/** One independently checkable slice of a history, and a name a person can read. */
export interface Partition {
  /** Shown as the result's `key` when this partition fails (e.g. the KV key). */
  readonly key: string;
  /** Indexes into the operation array given to `partition`. */
  readonly indexes: readonly number[];
}

/**
 * A sequential specification of the object under test.
 *
 * States must be immutable values: the search keeps old states on its
 * backtracking stack and in its memo table, so `step` returns a new state
 * rather than changing the one it was given.
 */
export interface Model<S, I, O> {
  /** Used in messages. */
  readonly name: string;
  /** The state before any operation. Called once per partition. */
  init(): S;
  /**
   * Apply `input` to `state` and say whether `output` is what the sequential
   * object would have answered. `output` is `undefined` for an operation that
   * never returned: accept it and apply its effect, since whatever it would
   * have answered nobody saw (so `O` must not itself include `undefined`).
   */
  step(state: S, input: I, output: O | undefined): StepResult<S>;
  /** Structural equality; together with `hash` it keys the memo table. */
  equal(a: S, b: S): boolean;
  /** A 32-bit hash consistent with `equal`. */
  hash(state: S): number;
  /**
   * Split a history into sub-histories that can be checked independently.
   * Sound only when no operation's legality depends on operations in another
   * partition (Herlihy and Wing's locality: each operation touches objects of
   * exactly one partition). Every index must appear in exactly one partition;
   * the checker verifies that. Omitted: the whole history is one partition.
   */
  partition?(ops: readonly HistoryOp<I, O>[]): readonly Partition[];
  /**
   * True when `input` never changes the state. A pending read-only operation
   * can be dropped: it has no effect and nobody saw its answer. Omitted: no
   * operation is assumed read-only.
   */
  readOnly?(input: I): boolean;
  /**
   * What the completed operations reveal about the pending ones, which
   * matters: every pending write left open doubles the configurations a
   * failing search must visit. See `PendingHint`. Omitted: no hints.
   */
  pendingHints?(ops: readonly HistoryOp<I, O>[]): Iterable<PendingHint>;
  /**
   * A string that is equal for two inputs exactly when they are the same
   * request. Lets the search treat pending operations with the same input as
   * interchangeable and try them in call order only, which turns 2^m orders
   * of m identical timed-out requests into m + 1. Omitted: no such reduction.
   */
  inputKey?(input: I): string;
  /** For explanations; defaults to JSON. */
  describeOperation?(input: I, output: O | undefined): string;
  describeState?(state: S): string;
}
