import type { Clock } from '../../runtime/clock.js';
import { InvalidHistoryError } from './errors.js';
import type { ClientId, HistoryEvent, Operation } from './history.js';

/** A `Clock` from the runtime (real or simulated), or any function returning milliseconds. */
export type TimeSource = Clock | (() => number);

/** How an operation ended, when its client got an error instead of an answer. */
export type ErrorOutcome<O> = { readonly status: 'ok'; readonly output: O } | { readonly status: 'failed' } | { readonly status: 'pending' };

/** A call in progress; end it with `ok` or `fail`, or leave it open if the client never learns the outcome. */
export interface OpenCall<O> {
  readonly opId: number;
  /** The operation returned `output`. */
  ok(output: O): void;
  /** The operation definitely did not take effect (the system guarantees it, e.g. rejected before proposal). */
  fail(): void;
}

/**
 * Records what clients asked and what they were told, for `checkEvents`.
 *
 * Events are kept in the order the harness saw them, and that order is what
 * the checker uses, so operations on a coarse or virtual clock (many events in
 * the same millisecond) keep their exact real-time order; clock times are
 * only shown in explanations. Record a call just before the request leaves
 * and its end as soon as the answer arrives: the recorded interval must
 * contain the moment the system applied the operation.
 *
 * An operation that timed out or whose client crashed is simply never ended:
 * it is pending, which is always sound. Mark it failed only when the system
 * guarantees it was not applied.
 */
export class HistoryRecorder<I, O> {
  private readonly log: HistoryEvent<I, O>[] = [];
  private readonly now: () => number;
  private nextOpId = 0;

  constructor(time: TimeSource) {
    this.now = typeof time === 'function' ? time : () => time.now();
  }

  /** Record a call now. */
  invoke(clientId: ClientId, input: I): OpenCall<O> {
    const opId = this.nextOpId++;
    this.log.push({ kind: 'call', opId, clientId, input, timeMs: this.now() });
    let ended = false;
    const end = (event: HistoryEvent<I, O>): void => {
      if (ended) throw new InvalidHistoryError(`operation ${opId} (client ${String(clientId)}) was already ended; a harness must end each call once`);
      ended = true;
      this.log.push(event);
    };
    return {
      opId,
      ok: (output) => end({ kind: 'return', opId, output, timeMs: this.now() }),
      fail: () => end({ kind: 'fail', opId, timeMs: this.now() }),
    };
  }

  /**
   * Run `request` as one operation: record its call, then its answer. If it
   * throws, `onError` says what the error means (default: pending, since a
   * timeout or a lost connection says nothing about whether it was applied)
   * and the error is rethrown for the harness to handle.
   */
  async record(clientId: ClientId, input: I, request: () => Promise<O>, onError: (error: unknown) => ErrorOutcome<O> = () => ({ status: 'pending' })): Promise<O> {
    const call = this.invoke(clientId, input);
    let output: O;
    try {
      output = await request();
    } catch (error) {
      const outcome = onError(error);
      if (outcome.status === 'ok') call.ok(outcome.output);
      else if (outcome.status === 'failed') call.fail();
      throw error;
    }
    call.ok(output);
    return output;
  }

  /** Number of events so far. */
  get size(): number {
    return this.log.length;
  }

  /** The history so far as ordered events (a copy); what `checkEvents` takes. */
  events(): HistoryEvent<I, O>[] {
    return [...this.log];
  }

  /**
   * The history so far as operations with clock times. Events in the same
   * clock instant lose their order here (the checker treats them as
   * concurrent), so prefer `events()` unless an array of operations is needed.
   */
  operations(): Operation<I, O>[] {
    const byId = new Map<number, { call: Extract<HistoryEvent<I, O>, { kind: 'call' }>; end?: Exclude<HistoryEvent<I, O>, { kind: 'call' }> }>();
    for (const ev of this.log) {
      if (ev.kind === 'call') byId.set(ev.opId as number, { call: ev });
      else byId.get(ev.opId as number)!.end = ev;
    }
    return [...byId.values()].map(({ call, end }): Operation<I, O> => {
      const base = { clientId: call.clientId, input: call.input, callTimeMs: call.timeMs! };
      if (end === undefined) return { ...base, status: 'pending' };
      if (end.kind === 'fail') return { ...base, status: 'failed' };
      return { ...base, status: 'ok', output: end.output, returnTimeMs: end.timeMs! };
    });
  }
}
