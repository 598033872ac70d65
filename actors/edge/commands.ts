import type { SessionRow } from '../raft/kv/sessions.js';

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
  /** Stop serving these ids (a range is about to move out); keys stay until `purge`. */
  | { name: 'fence'; args: { spans: HexSpan[] } }
  /** The fenced ids were copied to their new owner: `purge` may delete them. */
  | { name: 'markMoved'; args: { spans: HexSpan[] } }
  /** Deletes the keys of every range marked moved (they stay fenced). */
  | { name: 'purge'; args: Record<string, never> }
  /** Import step 1: fence the ids here and drop whatever is stored for them (the import replaces it). */
  | { name: 'importBegin'; args: { spans: HexSpan[] } }
  /** Import step 2..n: keys (stored form) and the old group's sessions, in chunks that fit one entry. */
  | { name: 'importChunk'; args: { entries: [string, Uint8Array][]; sessions: SessionRow[] } }
  /** Import last step: serve the ids (lifts any fence on them). */
  | { name: 'importEnd'; args: { spans: HexSpan[] } };

export type EdgeQuery =
  | { name: 'gget'; key: string }
  /** Served global keys with user keys in [start, end), in user-key order, at most `limit` (0: all). */
  | { name: 'grange'; start: string; end: string; limit: number }
  /** Stored global keys in the spans from `after` on (exclusive), up to about `maxBytes`; only fenced ids may be exported. */
  | { name: 'export'; spans: HexSpan[]; after: string | null; maxBytes: number }
  | { name: 'exportSessions'; offset: number; count: number }
  | { name: 'counts' }
  | { name: 'fences' };

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
  /** Global keys this group serves (not fenced). */
  global: number;
  /** Global keys held but fenced (moving or moved out, not purged yet). */
  fenced: number;
}

export interface FenceState {
  moving: HexSpan[];
  moved: HexSpan[];
}
