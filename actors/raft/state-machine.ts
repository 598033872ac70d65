import type { Entry } from './types.js';

/**
 * What Raft replicates. `apply` sees every committed entry once, in log
 * order (including empty leader entries and conf changes, which it may
 * ignore). `snapshot` captures everything applied so far; `restore` replaces
 * the whole state with one. All three must be deterministic: every member
 * applying the same entries must reach the same bytes.
 */
export interface StateMachine<Result = unknown> {
  apply(entry: Entry): Result;
  snapshot(): Uint8Array;
  restore(data: Uint8Array): void;
}
