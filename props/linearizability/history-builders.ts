import type { ClientId, FailedOperation, HistoryOp, Operation, PendingOperation } from './history.js';

/**
 * Shorthands for hand-written histories in tests and scenario files:
 * `done(1, [0, 10], kv.put('x', '1'), kv.ok)`.
 */
export function done<I, O>(clientId: ClientId, [callTimeMs, returnTimeMs]: readonly [number, number], input: I, output: O): Operation<I, O> {
  return { status: 'ok', clientId, input, output, callTimeMs, returnTimeMs };
}

/** Called at `callTimeMs` and never answered: it may or may not have taken effect. */
export function pending<I>(clientId: ClientId, callTimeMs: number, input: I): PendingOperation<I> {
  return { status: 'pending', clientId, input, callTimeMs };
}

/** Called and definitely not applied. */
export function failed<I>(clientId: ClientId, callTimeMs: number, input: I): FailedOperation<I> {
  return { status: 'failed', clientId, input, callTimeMs };
}

/** The normalized operation back as an `Operation`, e.g. to re-check a failing sub-history alone. */
export function toOperation<I, O>(op: HistoryOp<I, O>): Operation<I, O> {
  return op.output === undefined
    ? { status: 'pending', clientId: op.clientId, input: op.input, callTimeMs: op.callTimeMs }
    : { status: 'ok', clientId: op.clientId, input: op.input, output: op.output, callTimeMs: op.callTimeMs, returnTimeMs: op.returnTimeMs };
}
