import fc from 'fast-check';
import type { Random } from '../../runtime/random.js';
import type { Operation } from './history.js';
import type { KvInput, KvOutput } from './kv-model.js';

/**
 * Linearizable-by-construction KV histories, for testing the checker (and
 * anything else that consumes histories).
 *
 * A plan is executed on a plain sequential map, operation i taking effect at
 * instant `t_i = 10 * (i + 1)`. Each operation's interval is then widened
 * around its instant by random slack, so neighbours overlap, but it always
 * contains `t_i`: the sequential order is a witness that the history is
 * linearizable. Fates add the awkward cases: a pending operation whose effect
 * happened, a pending one whose effect was lost (the witness puts it last,
 * where nobody observes it), and a failed one that was never applied.
 */

export type PlannedAction = 'put' | 'get' | 'delete' | 'range' | 'deleteRange';
export type PlannedFate = 'ok' | 'pendingApplied' | 'pendingLost' | 'failed';

export interface PlannedOp {
  readonly action: PlannedAction;
  /** Key index; a range covers key indexes [key, key + span). */
  readonly key: number;
  readonly span: number;
  /** Value index, ignored when values are unique. */
  readonly value: number;
  readonly slackBeforeMs: number;
  readonly slackAfterMs: number;
  readonly fate: PlannedFate;
  readonly clientId: number;
}

export interface PlanOptions {
  /** Each put writes `v<op index>`, never repeated: lets a test reason about who wrote what. */
  readonly uniqueValues?: boolean;
}

/** Instants between consecutive operations' effects. */
export const STEP_MS = 10;

export function keyName(i: number): string {
  return `k${String(i).padStart(3, '0')}`;
}

export function executeKvPlan(plan: readonly PlannedOp[], options: PlanOptions = {}): Operation<KvInput, KvOutput>[] {
  const state = new Map<string, string>();
  return plan.map((p, i): Operation<KvInput, KvOutput> => {
    const t = STEP_MS * (i + 1);
    const input = toInput(p, i, options);
    const applied = p.fate === 'ok' || p.fate === 'pendingApplied';
    const output = applied ? apply(state, input) : undefined;
    const base = { clientId: p.clientId, input, callTimeMs: t - p.slackBeforeMs };
    if (p.fate === 'ok') return { ...base, status: 'ok', output: output!, returnTimeMs: t + p.slackAfterMs };
    return { ...base, status: p.fate === 'failed' ? 'failed' : 'pending' };
  });
}

function toInput(p: PlannedOp, i: number, options: PlanOptions): KvInput {
  const key = keyName(p.key);
  switch (p.action) {
    case 'put':
      return { kind: 'put', key, value: options.uniqueValues === true ? `v${i}` : `v${p.value}` };
    case 'get':
      return { kind: 'get', key };
    case 'delete':
      return { kind: 'delete', key };
    case 'range':
      return { kind: 'range', start: key, end: keyName(p.key + p.span) };
    case 'deleteRange':
      return { kind: 'deleteRange', start: key, end: keyName(p.key + p.span) };
  }
}

function apply(state: Map<string, string>, input: KvInput): KvOutput {
  switch (input.kind) {
    case 'put':
      state.set(input.key, input.value);
      return { kind: 'ok' };
    case 'delete':
      state.delete(input.key);
      return { kind: 'ok' };
    case 'deleteRange':
      for (const k of [...state.keys()]) if (k >= input.start && k < input.end) state.delete(k);
      return { kind: 'ok' };
    case 'get': {
      const v = state.get(input.key);
      return v === undefined ? { kind: 'notFound' } : { kind: 'found', value: v };
    }
    case 'range':
      return { kind: 'entries', entries: [...state].filter(([k]) => k >= input.start && k < input.end) };
  }
}

export interface PlanShape {
  readonly keys: number;
  /** Largest slack on either side; with STEP_MS = 10, 40 lets about eight operations overlap. */
  readonly maxSlackMs: number;
  /** Include range reads and range deletes. */
  readonly ranges: boolean;
  readonly clients: number;
}

const FATES: readonly PlannedFate[] = ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'pendingApplied', 'pendingLost', 'failed'];

export function plannedOpArbitrary(shape: PlanShape): fc.Arbitrary<PlannedOp> {
  const actions: PlannedAction[] = shape.ranges ? ['put', 'put', 'get', 'get', 'delete', 'range', 'deleteRange'] : ['put', 'put', 'get', 'get', 'delete'];
  return fc.record({
    action: fc.constantFrom(...actions),
    key: fc.nat({ max: shape.keys - 1 }),
    span: fc.integer({ min: 0, max: 3 }),
    value: fc.nat({ max: 4 }),
    slackBeforeMs: fc.nat({ max: shape.maxSlackMs }),
    slackAfterMs: fc.nat({ max: shape.maxSlackMs }),
    fate: fc.constantFrom(...FATES),
    clientId: fc.nat({ max: shape.clients - 1 }),
  });
}

/** The same distribution from a seeded `Random`, for histories too big to shrink usefully. */
export function randomKvPlan(random: Random, length: number, shape: PlanShape): PlannedOp[] {
  const actions: PlannedAction[] = shape.ranges ? ['put', 'put', 'get', 'get', 'delete', 'range', 'deleteRange'] : ['put', 'put', 'get', 'get', 'delete'];
  return Array.from({ length }, () => ({
    action: actions[random.int(actions.length)]!,
    key: random.int(shape.keys),
    span: random.int(4),
    value: random.int(5),
    slackBeforeMs: random.int(shape.maxSlackMs + 1),
    slackAfterMs: random.int(shape.maxSlackMs + 1),
    fate: FATES[random.int(FATES.length)]!,
    clientId: random.int(shape.clients),
  }));
}
