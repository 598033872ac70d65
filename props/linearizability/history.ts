/**
 * The two shapes of history the checker reads, and the normalized operation
 * it reports back. Times are only ever compared with each other, so any
 * monotone scale works: wall milliseconds, virtual milliseconds, or logical
 * event indexes.
 */

export type ClientId = number | string;

/**
 * One client operation with its interval.
 *
 * - `ok`: returned `output` at `returnTimeMs`.
 * - `pending`: never returned (client crashed, request timed out). Its effect
 *   may or may not have happened; it is treated as returning at +infinity.
 * - `failed`: definitely not applied (e.g. rejected before it was proposed).
 *   It is dropped before checking. Only use this when the system guarantees
 *   it; when in doubt, `pending` is the sound choice.
 *
 * When a return time equals a call time, the two operations are treated as
 * concurrent: a clock too coarse to order them must not invent an order.
 */
export type Operation<I, O> = OkOperation<I, O> | PendingOperation<I> | FailedOperation<I>;

interface OperationBase<I> {
  readonly clientId: ClientId;
  readonly input: I;
  readonly callTimeMs: number;
}

export interface OkOperation<I, O> extends OperationBase<I> {
  readonly status: 'ok';
  readonly output: O;
  readonly returnTimeMs: number;
}

export interface PendingOperation<I> extends OperationBase<I> {
  readonly status: 'pending';
}

export interface FailedOperation<I> extends OperationBase<I> {
  readonly status: 'failed';
}

export type OpId = number | string;

/**
 * A history as an ordered list of events: the list order *is* the real-time
 * order, so no clock resolution is lost. A call with no matching `return` or
 * `fail` is pending. `timeMs`, when given, is only shown in explanations.
 */
export type HistoryEvent<I, O> =
  | { readonly kind: 'call'; readonly opId: OpId; readonly clientId: ClientId; readonly input: I; readonly timeMs?: number }
  | { readonly kind: 'return'; readonly opId: OpId; readonly output: O; readonly timeMs?: number }
  | { readonly kind: 'fail'; readonly opId: OpId; readonly timeMs?: number };

/**
 * An operation as the checker sees it after normalization: failed operations
 * are gone and pending ones have `output: undefined`.
 */
export interface HistoryOp<I, O> {
  /** Index in the caller's operation array, or of the call event in the caller's event list. */
  readonly id: number;
  readonly clientId: ClientId;
  readonly input: I;
  /** `undefined`: the operation never returned. */
  readonly output: O | undefined;
  /** As given by the caller (for events: `timeMs`, else the event index); for display. */
  readonly callTimeMs: number;
  /** `Infinity` when the operation never returned. */
  readonly returnTimeMs: number;
}
