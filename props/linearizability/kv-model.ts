import { partitionByKey, type KvFootprint } from './kv-partition.js';
import { KvState } from './kv-state.js';
import type { HistoryOp } from './history.js';
import type { Model, StepResult } from './model.js';

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
  unobservedPending,
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
 * Removing a pending put of (k, v) from a linearization only changes k from v
 * back to the previous value until k is next written; if no completed read
 * ever returned (k, v), no read sat in that stretch, so the rest still holds.
 * Likewise a pending delete of k whose absence no completed read reported.
 * Pending range deletes are kept: their footprint is unbounded.
 */
function unobservedPending(ops: readonly HistoryOp<KvInput, KvOutput>[]): number[] {
  const seenValues = new Set<string>();
  const seenAbsent = new Set<string>();
  const scans: { start: string; end: string; keys: Set<string> }[] = [];
  for (const op of ops) {
    if (op.output === undefined) continue;
    if (op.input.kind === 'get') {
      if (op.output.kind === 'found') seenValues.add(pair(op.input.key, op.output.value));
      else seenAbsent.add(op.input.key);
    } else if (op.input.kind === 'range' && op.output.kind === 'entries') {
      for (const [k, v] of op.output.entries) seenValues.add(pair(k, v));
      scans.push({ start: op.input.start, end: op.input.end, keys: new Set(op.output.entries.map(([k]) => k)) });
    }
  }
  const absenceSeen = (key: string): boolean => seenAbsent.has(key) || scans.some((s) => key >= s.start && key < s.end && !s.keys.has(key));
  const out: number[] = [];
  ops.forEach((op, i) => {
    if (op.output !== undefined) return;
    if (op.input.kind === 'put' && !seenValues.has(pair(op.input.key, op.input.value))) out.push(i);
    else if (op.input.kind === 'delete' && !absenceSeen(op.input.key)) out.push(i);
  });
  return out;
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
