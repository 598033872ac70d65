import type { SessionRow } from '../raft/kv/sessions.js';
import type { PieceRow } from './ownership.js';

/**
 * The edge node's commands and queries inside a group's Raft log, on top of
 * the plain KV ones (`put`/`delete`/`deleteRange` with keyspace-prefixed keys,
 * see keyspace.ts). Ring ids travel as hex strings (msgpack-safe, and the
 * same on every member).
 */

/** [lo, hi] of ring ids, both included, as 40-digit hex. */
export type HexSpan = [lo: string, hi: string];

export type EdgeCustomCommand =
  /** A global put/delete, refused with FENCED when the key's range is not served here. */
  | { name: 'gput'; args: { key: string; value: Uint8Array } }
  | { name: 'gdelete'; args: { key: string } }
  /** Deletes the served global keys whose user key is in [start, end) (latin1; empty end: unbounded). */
  | { name: 'gdeleteRange'; args: { start: string; end: string } }
  /** `gdeleteRange` answering a GlobalDeletePart: the count and the ring ids this group owned when it applied. */
  | { name: 'gdeleteRangeOwned'; args: { start: string; end: string } }
  /**
   * The ownership of global ring ids (see ownership.ts). Sent only to the
   * layout's first group: every id nobody ever owned (epoch 0) becomes owned
   * here at epoch 1. Idempotent; a no-op once the ids were ever owned.
   */
  | { name: 'genesis'; args: Record<string, never> }
  /**
   * Move step 1, in the source: release the ids (all owned here, or the
   * whole command is refused with FENCED) to group `to`. They become
   * outgoing at epoch = (their largest epoch) + 1, which is the answer; from
   * this log position on they are neither served nor released again.
   */
  | { name: 'release'; args: { spans: HexSpan[]; to: string } }
  /** Move step 2, in the target: ids whose record is older than `epoch` become incoming from `from`; their stored keys are dropped. */
  | { name: 'importBegin'; args: { spans: HexSpan[]; epoch: number; from: string } }
  /** Move step 3: keys (stored form) written where the record is incoming at `epoch`, and the source's sessions. */
  | { name: 'importChunk'; args: { epoch: number; entries: [string, Uint8Array][]; sessions: SessionRow[] } }
  /**
   * Move step 4, in the target: incoming at `epoch` → owned. Answers true when
   * every id is past the import (done now or before), false if some id never
   * began it (nothing changes then).
   */
  | { name: 'importEnd'; args: { spans: HexSpan[]; epoch: number } }
  /** Move step 5, in the source, once the target owns the ids: ids still outgoing to `to` at `epoch` are purged (→ none). */
  | { name: 'complete'; args: { spans: HexSpan[]; epoch: number; to: string } };

export type EdgeQuery =
  | { name: 'gget'; key: string }
  /** Served global keys with user keys in [start, end), in user-key order, at most `limit` (0: all). */
  | { name: 'grange'; start: string; end: string; limit: number }
  /** `grange` plus the ring ids this group owns at that point (a GlobalRangePart), so a reader can tell whether its parts cover the ring. */
  | { name: 'grangeOwned'; start: string; end: string; limit: number }
  /**
   * Stored global keys in the spans from `after` on (exclusive), up to about
   * `maxBytes`; refused (FENCED) unless every id is outgoing to `to` at
   * `epoch` (frozen: the copy is the same whoever reads it).
   */
  | { name: 'export'; spans: HexSpan[]; epoch: number; to: string; after: string | null; maxBytes: number }
  | { name: 'exportSessions'; offset: number; count: number }
  | { name: 'counts' }
  /** The group's ownership map (OwnershipState). */
  | { name: 'ownership' };

export interface ExportPage {
  entries: [string, Uint8Array][];
  /** The last key of this page when more may follow; null: done. */
  next: string | null;
}

export interface SessionsPage {
  sessions: SessionRow[];
  /** Total rows, so the caller knows when it has all. */
  total: number;
}

export interface KeyCounts {
  local: number;
  /** Global keys this group serves (it owns their ids). */
  global: number;
  /** Global keys held but not served (being moved in or out, not purged yet). */
  fenced: number;
}

export interface GlobalRangePart {
  entries: [string, Uint8Array][];
  owned: HexSpan[];
}

export interface GlobalDeletePart {
  deleted: number;
  owned: HexSpan[];
}

export interface OwnershipState {
  pieces: PieceRow[];
}
