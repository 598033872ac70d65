/**
 * # Linearizability checker
 *
 * Decides whether a concurrent history of client operations could have come
 * from some sequential execution of a model (a key-value map, a register)
 * that respects real time: if A returned before B was called, A comes first.
 *
 * ## Using it
 *
 * ```ts
 * import { HistoryRecorder, checkEvents, kvModel, kv } from './props/linearizability/index.js';
 * const rec = new HistoryRecorder<KvInput, KvOutput>(clock);       // runtime Clock or () => ms
 * const call = rec.invoke(clientId, kv.put('x', '1'));              // just before sending
 * call.ok(kv.ok);                                                   // when the answer arrives
 * // timed out / client crashed: never end it (pending); provably not applied: call.fail()
 * const result = checkEvents(kvModel, rec.events(), { timeoutMs: 10_000 });
 * if (!result.ok) throw new Error(result.verdict === 'unknown' ? result.reason : result.explanation);
 * ```
 * `checkOperations` takes the same history as `Operation[]` with
 * `callTimeMs`/`returnTimeMs` instead (equal times count as concurrent).
 *
 * ## How it works
 *
 * 1. Normalize: failed operations are dropped; operations that never returned
 *    get an unknown output and a return at +infinity (their effect may land at
 *    any point after their call, or never, which for a deterministic model is
 *    the same as "last"). Then what completed operations saw narrows the
 *    pending ones (`pending.ts`): pending reads are dropped, pending writes
 *    nobody could have observed are dropped (for KV: a put of a value no read
 *    returned), and a pending write that alone explains what a read saw gets
 *    that read's return as its own. Each pending write left open doubles the
 *    space a failing search visits, so write unique values in tests.
 * 2. Partition (Porcupine's P-compositionality): `model.partition` splits the
 *    history into independent sub-histories. Linearizability is local, so the
 *    history is linearizable iff every partition is. The KV model partitions
 *    per key; a range read or range delete must see or change all its keys at
 *    one instant, so it merges all keys of the history in its range into one
 *    partition checked against the whole-map model (see `kv-partition.ts`).
 *    Decomposing a range per key instead would accept non-atomic scans.
 * 3. Search each partition, smallest first (Wing and Gong's algorithm, with
 *    Lowe's just-in-time linearization as in Porcupine): calls and returns sit
 *    in a doubly linked list in real-time order. Walking it, a call is
 *    linearized when the model accepts its output in the current state; its
 *    call and return are then lifted out of the list and the walk restarts at
 *    the head. Reaching a return whose call is still in the list means no
 *    remaining operation can go next, so the last choice is undone (its
 *    entries relinked, its state restored) and the walk resumes after it.
 *    Pending operations with the same input (`model.inputKey`) are
 *    interchangeable, so they are only linearized in call order.
 *    Each (set of linearized operations, model state) pair is memoized: the
 *    set is a bitset with an incrementally kept Zobrist hash, the state is
 *    hashed and compared by the model, and a pair seen before is not explored
 *    again. The list empties: linearizable. The stack empties: not.
 * 4. Explain: the failing partition is cut to its shortest failing prefix
 *    (binary search over its return events; failure is monotone in the
 *    prefix), and the report lists that sub-history, the longest linearizable
 *    prefix the search found with the state after each step, and the
 *    operations that could have come next and why the model refused each.
 *
 * The problem is NP-complete; `timeoutMs` / `maxSteps` make a check return
 * `verdict: 'unknown'` (with `ok: false`) instead of running on.
 *
 * ## Writing a model
 *
 * Implement `Model<S, I, O>`: `init`, a pure `step(state, input, output)`
 * returning `[ok, newState]` (accept any output when it is `undefined`: the
 * operation never returned), `equal` and `hash` on states, and optionally
 * `partition`, `readOnly`, `pendingHints`, `inputKey` and the `describe*`
 * hooks used in reports.
 *
 * ## Limits
 *
 * - A failing search must rule out every order, so its cost grows with the
 *   operations left open at the failure: long partitions full of timed-out
 *   writes of repeated values can take exponential time (the budget then
 *   answers `unknown`; memory grows with the steps, roughly 50-100 bytes each).
 *   Unique values per write let `pendingHints` close most of them.
 * - Range bounds compare keys as JavaScript strings (UTF-16 code units);
 *   encode byte keys so that this order is the store's (latin1 or hex).
 *   Ranges have no limit/pagination; a range that chains many keys makes one
 *   large partition checked against the whole-map model.
 * - Equal call and return times count as concurrent; use `checkEvents` or
 *   the recorder's `events()` to keep exact order on a coarse clock.
 */

export { checkEvents, checkOperations } from './check.js';
export type { CheckOptions, CheckResult, CheckStats, Inconclusive, Linearizable, NotLinearizable } from './check.js';
export { InvalidHistoryError, ModelContractError } from './errors.js';
export { done, failed, pending, toOperation } from './history-builders.js';
export type { ClientId, FailedOperation, HistoryEvent, HistoryOp, OkOperation, OpId, Operation, PendingOperation } from './history.js';
export { kv, kvModel } from './kv-model.js';
export type { KvInput, KvOutput } from './kv-model.js';
export { KvState } from './kv-state.js';
export type { Model, Partition, PendingHint, StepResult } from './model.js';
export { HistoryRecorder } from './recorder.js';
export type { ErrorOutcome, OpenCall, TimeSource } from './recorder.js';
export { register, registerModel } from './register-model.js';
export type { RegisterInput, RegisterOutput, RegisterValue } from './register-model.js';
export { hashString, mix32, combine } from './hash.js';
