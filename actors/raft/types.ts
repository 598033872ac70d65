/** Node ids are small positive integers; 0 means "none" (no leader, no vote). */
export type NodeId = number;
export const NONE: NodeId = 0;

export type EntryType = 'normal' | 'confChange';

/** One log entry. `data` is opaque to the core except for conf changes. */
export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must be durable before the node answers anyone: its term, its vote and the commit index it has seen. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

/** The membership in force: voters vote and count for commit; learners only receive the log. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMeta {
  /** Last index the snapshot covers and its term. */
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

/** A state-machine snapshot; `data` is whatever `StateMachine.snapshot()` returned. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: NONE, commit: 0 };
export const EMPTY_SNAPSHOT: Snapshot = {
  meta: { index: 0, term: 0, confState: { voters: [], learners: [] } },
  data: new Uint8Array(0),
};

export function isEmptySnapshot(s: Snapshot | undefined): boolean {
  return s === undefined || s.meta.index === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** Approximate payload size used for batching and in-flight limits. */
export function entrySize(e: Entry): number {
  return e.data.byteLength + 24;
}

export function entriesSize(ents: readonly Entry[]): number {
  let n = 0;
  for (const e of ents) n += entrySize(e);
  return n;
}

/**
 * Keeps a prefix of `ents` whose size stays within `maxBytes`, but always at
 * least one entry so that a huge entry still makes progress.
 */
export function limitSize(ents: Entry[], maxBytes: number, maxCount = Infinity): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]!);
  let n = 1;
  for (; n < ents.length && n < maxCount; n++) {
    size += entrySize(ents[n]!);
    if (size > maxBytes) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}
