import { partitionByKey, type KvFootprint } from './kv-partition.js';
import { KvState } from './kv-state.js';
import type { HistoryOp } from './history.js';
import type { Model, PendingHint, StepResult } from './model.js';

/** A request to the store. Ranges are half-open, [start, end), in JavaScript string order. */
export type KvInput =
  | { readonly kind: 'put'; readonly key: string; readonly value: string }
  | { readonly kind: 'get'; readonly key: string }
  | { readonly kind: 'delete'; readonly key: string }
  | { readonly kind: 'range'; readonly start: string; readonly end: string }
  | { readonly kind: 'deleteRange'; readonly start: string; readonly end: string };

/** The store's answer: `ok` for writes, `found`/`notFound` for get, `entries` (any order) for range. */
export type KvOutput =
  | { readonly kind: 'ok' }
  | { readonly kind: 'found'; readonly value: string }
  | { readonly kind: 'notFound' }
  | { readonly kind: 'entries'; readonly entries: readonly (readonly [key: string, value: string])[] };

/** Builders that keep hand-written histories short: `kv.put('x', '1')`, `kv.found('1')`. */
export const kv = {
  put: (key: string, value: string): KvInput => ({ kind: 'put', key, value }),
  get: (key: string): KvInput => ({ kind: 'get', key }),
  delete: (key: string): KvInput => ({ kind: 'delete', key }),
  range: (start: string, end: string): KvInput => ({ kind: 'range', start, end }),
  deleteRange: (start: string, end: string): KvInput => ({ kind: 'deleteRange', start, end }),
  ok: { kind: 'ok' } as KvOutput,
  found: (value: string): KvOutput => ({ kind: 'found', value }),
  notFound: { kind: 'notFound' } as KvOutput,
  entries: (...entries: (readonly [string, string])[]): KvOutput => ({ kind: 'entries', entries }),
} as const;

/**
 * The sequential key-value map. Partitions per key (see `partitionByKey` for
 * range operations); a partition's state holds only that partition's keys.
 */
export const kvModel: Model<KvState, KvInput, KvOutput> = {
  name: 'kv',
  init: () => KvState.empty,
  step: stepKv,
  equal: (a, b) => a.equals(b),
  hash: (s) => s.hash,
  partition: (ops) => partitionByKey(ops.map((op) => footprint(op.input))),
  readOnly: (input) => input.kind === 'get' || input.kind === 'range',
  pendingHints: kvPendingHints,
  inputKey: (input) => JSON.stringify(input.kind === 'put' ? [input.kind, input.key, input.value] : input.kind === 'get' || input.kind === 'delete' ? [input.kind, input.key] : [input.kind, input.start, input.end]),
  describeOperation: describeKvOperation,
  describeState: (s) => `{${s.entries().map(([k, v]) => `${show(k)}=${show(v)}`).join(', ')}}`,
};

function stepKv(state: KvState, input: KvInput, output: KvOutput | undefined): StepResult<KvState> {
  switch (input.kind) {
    case 'put':
      return [output === undefined || output.kind === 'ok', state.with(input.key, input.value)];
    case 'delete':
      return [output === undefined || output.kind === 'ok', state.without(input.key)];
    case 'deleteRange':
      return [output === undefined || output.kind === 'ok', state.withoutRange(input.start, input.end)];
    case 'get': {
      if (output === undefined) return [true, state];
      const v = state.get(input.key);
      const ok = output.kind === 'found' ? v === output.value : output.kind === 'notFound' && v === undefined;
      return [ok, state];
    }
    case 'range':
      return [output === undefined || (output.kind === 'entries' && rangeMatches(state, input.start, input.end, output.entries)), state];
  }
}

function rangeMatches(state: KvState, start: string, end: string, entries: readonly (readonly [string, string])[]): boolean {
  const expected = state.range(start, end);
  if (expected.length !== entries.length) return false;
  const seen = new Set<string>();
  for (const [k, v] of entries) {
    if (k < start || k >= end || seen.has(k) || state.get(k) !== v) return false;
    seen.add(k);
  }
  return true;
}

/**
 * Hints from what reads saw (see `PendingHint`):
 * - A pending put of (k, v) that no completed read returned is unobserved:
 *   removing it from a linearization only turns k from v back into its
 *   previous value until k is next written, and no read sat in that stretch.
 * - A pending delete of k whose absence no completed read reported, likewise.
 * - A pending put that is the only write of (k, v) in the history, and that
 *   some completed read returned, must precede that read.
 * Pending range deletes get no hint: their footprint is unbounded.
 */
function kvPendingHints(ops: readonly HistoryOp<KvInput, KvOutput>[]): PendingHint[] {
  const observers = new Map<string, number[]>();
  const writers = new Map<string, number>();
  const seenAbsent = new Set<string>();
  const scans: { start: string; end: string; keys: Set<string> }[] = [];
  const observe = (key: string, value: string, i: number): void => {
    const p = pair(key, value);
    const list = observers.get(p);
    if (list === undefined) observers.set(p, [i]);
    else list.push(i);
  };
  ops.forEach((op, i) => {
    if (op.input.kind === 'put') writers.set(pair(op.input.key, op.input.value), (writers.get(pair(op.input.key, op.input.value)) ?? 0) + 1);
    if (op.output === undefined) return;
    if (op.input.kind === 'get') {
      if (op.output.kind === 'found') observe(op.input.key, op.output.value, i);
      else seenAbsent.add(op.input.key);
    } else if (op.input.kind === 'range' && op.output.kind === 'entries') {
      for (const [k, v] of op.output.entries) observe(k, v, i);
      scans.push({ start: op.input.start, end: op.input.end, keys: new Set(op.output.entries.map(([k]) => k)) });
    }
  });
  const absenceSeen = (key: string): boolean => seenAbsent.has(key) || scans.some((s) => key >= s.start && key < s.end && !s.keys.has(key));
  const hints: PendingHint[] = [];
  ops.forEach((op, index) => {
    if (op.output !== undefined) return;
    if (op.input.kind === 'put') {
      const p = pair(op.input.key, op.input.value);
      const seen = observers.get(p);
      if (seen === undefined) hints.push({ index, kind: 'unobserved' });
      else if (writers.get(p) === 1) hints.push({ index, kind: 'observedBy', observers: seen });
    } else if (op.input.kind === 'delete' && !absenceSeen(op.input.key)) {
      hints.push({ index, kind: 'unobserved' });
    }
  });
  return hints;
}

function pair(key: string, value: string): string {
  return JSON.stringify([key, value]);
}

function footprint(input: KvInput): KvFootprint {
  return input.kind === 'range' || input.kind === 'deleteRange'
    ? { kind: 'range', start: input.start, end: input.end }
    : { kind: 'point', key: input.key };
}

function describeKvOperation(input: KvInput, output: KvOutput | undefined): string {
  const call = (() => {
    switch (input.kind) {
      case 'put':
        return `put ${show(input.key)}=${show(input.value)}`;
      case 'get':
        return `get ${show(input.key)}`;
      case 'delete':
        return `delete ${show(input.key)}`;
      case 'range':
        return `range [${show(input.start)}, ${show(input.end)})`;
      case 'deleteRange':
        return `deleteRange [${show(input.start)}, ${show(input.end)})`;
    }
  })();
  if (output === undefined) return `${call} → ? (never returned)`;
  switch (output.kind) {
    case 'ok':
      return `${call} → ok`;
    case 'found':
      return `${call} → ${show(output.value)}`;
    case 'notFound':
      return `${call} → not found`;
    case 'entries':
      return `${call} → {${output.entries.map(([k, v]) => `${show(k)}=${show(v)}`).join(', ')}}`;
  }
}

/** Bare when unambiguous, JSON-quoted otherwise (empty, spaces, punctuation used in the notation). */
function show(s: string): string {
  return /^[\w.:/@#-]+$/.test(s) ? s : JSON.stringify(s);
}
