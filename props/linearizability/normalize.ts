import { InvalidHistoryError } from './errors.js';
import type { HistoryEvent, HistoryOp, OpId, Operation } from './history.js';

/**
 * An operation placed on one total order of events. Ranks are unique across
 * all calls and returns of a history, so "A precedes B in real time" is just
 * `A.returnRank < B.callRank`, whatever clock the caller used.
 */
export interface RankedOp<I, O> extends HistoryOp<I, O> {
  readonly callRank: number;
  /**
   * `Infinity` when the operation never returned, unless a completed
   * operation saw its effect (then that operation's return; see `pending.ts`).
   */
  readonly returnRank: number;
  /** Id of the completed operation whose return bounds this pending one. */
  readonly seenBy?: number;
}

/** Operations with times; failed ones dropped. Equal call and return times count as concurrent. */
export function rankOperations<I, O>(operations: readonly Operation<I, O>[]): RankedOp<I, O>[] {
  type Ev = { readonly time: number; readonly isReturn: boolean; readonly op: number };
  const evs: Ev[] = [];
  operations.forEach((op, id) => {
    if (!Number.isFinite(op.callTimeMs)) {
      throw new InvalidHistoryError(`operation #${id}: callTimeMs must be a finite number, got ${String(op.callTimeMs)}`);
    }
    if (op.status === 'failed') return;
    evs.push({ time: op.callTimeMs, isReturn: false, op: id });
    if (op.status === 'ok') {
      if (!Number.isFinite(op.returnTimeMs) || op.returnTimeMs < op.callTimeMs) {
        throw new InvalidHistoryError(
          `operation #${id}: returnTimeMs (${String(op.returnTimeMs)}) must be a finite number no earlier than callTimeMs (${op.callTimeMs}); ` +
            `use status 'pending' for an operation that never returned`,
        );
      }
      evs.push({ time: op.returnTimeMs, isReturn: true, op: id });
    } else if (op.status !== 'pending') {
      throw new InvalidHistoryError(`operation #${id}: unknown status ${JSON.stringify((op as { status: unknown }).status)}`);
    }
  });
  // Calls before returns on equal times: the clock could not tell them apart,
  // so the operations must be allowed to overlap.
  evs.sort((a, b) => a.time - b.time || Number(a.isReturn) - Number(b.isReturn) || a.op - b.op);
  const callRank = new Map<number, number>();
  const returnRank = new Map<number, number>();
  evs.forEach((e, rank) => (e.isReturn ? returnRank : callRank).set(e.op, rank));

  const out: RankedOp<I, O>[] = [];
  operations.forEach((op, id) => {
    if (op.status === 'failed') return;
    const done = op.status === 'ok';
    out.push({
      id,
      clientId: op.clientId,
      input: op.input,
      output: done ? op.output : undefined,
      callTimeMs: op.callTimeMs,
      returnTimeMs: done ? op.returnTimeMs : Infinity,
      callRank: callRank.get(id)!,
      returnRank: done ? returnRank.get(id)! : Infinity,
    });
  });
  return out;
}

/** An ordered event list; the list order is the real-time order. Failed operations dropped. */
export function rankEvents<I, O>(events: readonly HistoryEvent<I, O>[]): RankedOp<I, O>[] {
  type Open = { id: number; call: Extract<HistoryEvent<I, O>, { kind: 'call' }>; callRank: number; end?: 'ok' | 'failed'; output?: O; returnTimeMs?: number; returnRank?: number };
  const byOpId = new Map<OpId, Open>();
  const order: Open[] = [];
  events.forEach((ev, rank) => {
    if (ev.kind === 'call') {
      if (byOpId.has(ev.opId)) throw new InvalidHistoryError(`event ${rank}: operation ${String(ev.opId)} was called twice`);
      const open: Open = { id: rank, call: ev, callRank: rank };
      byOpId.set(ev.opId, open);
      order.push(open);
      return;
    }
    if (ev.kind !== 'return' && ev.kind !== 'fail') {
      throw new InvalidHistoryError(`event ${rank}: unknown kind ${JSON.stringify((ev as { kind: unknown }).kind)}`);
    }
    const open = byOpId.get(ev.opId);
    if (open === undefined) throw new InvalidHistoryError(`event ${rank}: ${ev.kind} of operation ${String(ev.opId)}, which was never called`);
    if (open.end !== undefined) throw new InvalidHistoryError(`event ${rank}: operation ${String(ev.opId)} already ended`);
    if (ev.kind === 'fail') {
      open.end = 'failed';
      return;
    }
    open.end = 'ok';
    open.output = ev.output;
    open.returnTimeMs = ev.timeMs ?? rank;
    open.returnRank = rank;
  });

  const out: RankedOp<I, O>[] = [];
  for (const o of order) {
    if (o.end === 'failed') continue;
    const done = o.end === 'ok';
    out.push({
      id: o.id,
      clientId: o.call.clientId,
      input: o.call.input,
      output: done ? o.output : undefined,
      callTimeMs: o.call.timeMs ?? o.callRank,
      returnTimeMs: done ? o.returnTimeMs! : Infinity,
      callRank: o.callRank,
      returnRank: done ? o.returnRank! : Infinity,
    });
  }
  return out;
}

/**
 * The history as it stood at event rank `cut`: later calls are gone and
 * operations still running become pending. If this prefix is not
 * linearizable, no extension of it is, which is what makes it a fair
 * witness for the whole history.
 */
export function cutAt<I, O>(ops: readonly RankedOp<I, O>[], cut: number): RankedOp<I, O>[] {
  const out: RankedOp<I, O>[] = [];
  for (const op of ops) {
    if (op.callRank > cut) continue;
    // A pending operation bounded by an observer that is now cut off is free again.
    out.push(op.returnRank <= cut ? op : { id: op.id, clientId: op.clientId, input: op.input, output: undefined, callTimeMs: op.callTimeMs, returnTimeMs: Infinity, callRank: op.callRank, returnRank: Infinity });
  }
  return out;
}
