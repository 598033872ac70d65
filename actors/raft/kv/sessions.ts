import { MAX_SESSION_RESULTS } from '../defaults.js';
import type { ClientKey, KvResult } from './commands.js';

interface Session {
  /** Log index of the last entry that touched this session: eviction order, identical on every member. */
  lastActive: number;
  /** Results of requests the client may still retry, by request id. */
  results: Map<number, KvResult>;
  /** Every request id below this has been acknowledged by the client (or pushed out of the window) and forgotten. */
  floor: number;
}

export type SessionCheck =
  | { readonly kind: 'new' }
  | { readonly kind: 'duplicate'; readonly result: KvResult }
  | { readonly kind: 'error'; readonly result: KvResult };

/** One session as it travels in snapshots and range moves: id, lastActive, floor, results. */
export type SessionRow = [ClientKey, number, number, [number, KvResult][]];

/**
 * Client sessions (Raft dissertation §6.3): a retried request returns the
 * cached result instead of applying twice. Part of the replicated state: it
 * changes only in `apply` and travels in snapshots. Bounded: past
 * `maxSessions` the least recently active session is dropped, and its client
 * gets SESSION_EXPIRED rather than a silent double apply.
 *
 * Two kinds of client id: numbers handed out by `register` (a session that
 * does not exist is expired), and strings the client picks (the API's
 * `WriteId.clientId`): such a session is created on first use, so a retry
 * through any member of the group finds it. String clients do not send
 * `firstUnacked`, so each session keeps its last `maxResults` results; a
 * request id pushed out of that window is refused as STALE_REQUEST (never
 * re-applied).
 */
export class SessionTable {
  private readonly sessions = new Map<ClientKey, Session>();

  constructor(
    readonly maxSessions: number,
    readonly maxResults: number = MAX_SESSION_RESULTS,
  ) {}

  register(clientId: ClientKey, index: number): void {
    this.sessions.set(clientId, { lastActive: index, results: new Map(), floor: 0 });
    this.evict();
  }

  check(clientId: ClientKey, requestId: number, firstUnacked: number, index: number): SessionCheck {
    let s = this.sessions.get(clientId);
    if (!s && typeof clientId === 'string') {
      this.register(clientId, index);
      s = this.sessions.get(clientId)!;
    }
    if (!s) {
      return {
        kind: 'error',
        result: { ok: false, error: 'SESSION_EXPIRED', message: `no session for client ${clientId}; register again` },
      };
    }
    s.lastActive = index;
    if (firstUnacked > s.floor) {
      for (const id of s.results.keys()) if (id < firstUnacked) s.results.delete(id);
      s.floor = firstUnacked;
    }
    const cached = s.results.get(requestId);
    if (cached) return { kind: 'duplicate', result: cached };
    if (requestId < s.floor) {
      return {
        kind: 'error',
        result: {
          ok: false,
          error: 'STALE_REQUEST',
          message: `request ${requestId} of client ${clientId} was already answered and forgotten`,
        },
      };
    }
    return { kind: 'new' };
  }

  record(clientId: ClientKey, requestId: number, result: KvResult): void {
    const s = this.sessions.get(clientId);
    if (!s) return;
    s.results.set(requestId, result);
    if (s.results.size > this.maxResults) {
      let lowest = Infinity;
      for (const id of s.results.keys()) if (id < lowest) lowest = id;
      s.results.delete(lowest);
      s.floor = Math.max(s.floor, lowest + 1);
    }
  }

  size(): number {
    return this.sessions.size;
  }

  /**
   * Takes in sessions of another group (a key range moved here): a retry that
   * the other group applied stays applied. Results are united, the floor is
   * the higher one; `index` makes the merged sessions recently active.
   */
  merge(rows: readonly SessionRow[], index: number): void {
    for (const [id, , floor, results] of rows) {
      let s = this.sessions.get(id);
      if (!s) {
        s = { lastActive: index, results: new Map(), floor: 0 };
        this.sessions.set(id, s);
      }
      s.lastActive = index;
      s.floor = Math.max(s.floor, floor);
      for (const [requestId, result] of results) if (requestId >= s.floor && !s.results.has(requestId)) s.results.set(requestId, result);
      for (const requestId of s.results.keys()) if (requestId < s.floor) s.results.delete(requestId);
      while (s.results.size > this.maxResults) {
        const lowest = Math.min(...s.results.keys());
        s.results.delete(lowest);
        s.floor = Math.max(s.floor, lowest + 1);
      }
    }
    this.evict();
  }

  private evict(): void {
    while (this.sessions.size > this.maxSessions) {
      let oldest: ClientKey | undefined;
      let oldestActive = Infinity;
      for (const [id, s] of this.sessions) {
        if (s.lastActive < oldestActive) {
          oldestActive = s.lastActive;
          oldest = id;
        }
      }
      this.sessions.delete(oldest!);
    }
  }

  toJSON(): SessionRow[] {
    return [...this.sessions.entries()]
      .sort((a, b) => compareClientKeys(a[0], b[0]))
      .map(([id, s]) => [id, s.lastActive, s.floor, [...s.results.entries()].sort((a, b) => a[0] - b[0])]);
  }

  static fromJSON(rows: SessionRow[], maxSessions: number, maxResults: number = MAX_SESSION_RESULTS): SessionTable {
    const t = new SessionTable(maxSessions, maxResults);
    for (const [id, lastActive, floor, results] of rows) {
      t.sessions.set(id, { lastActive, floor, results: new Map(results) });
    }
    return t;
  }
}

/** Numbers before strings, each in natural order: the same on every member. */
function compareClientKeys(a: ClientKey, b: ClientKey): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
