import type { KvResult } from './commands.js';

interface Session {
  /** Log index of the last entry that touched this session: eviction order, identical on every member. */
  lastActive: number;
  /** Results of requests the client may still retry, by request id. */
  results: Map<number, KvResult>;
  /** Every request id below this has been acknowledged by the client and forgotten. */
  floor: number;
}

export type SessionCheck =
  | { readonly kind: 'new' }
  | { readonly kind: 'duplicate'; readonly result: KvResult }
  | { readonly kind: 'error'; readonly result: KvResult };

/**
 * Client sessions (Raft dissertation §6.3): a retried request returns the
 * cached result instead of applying twice. Part of the replicated state: it
 * changes only in `apply` and travels in snapshots. Bounded: past
 * `maxSessions` the least recently active session is dropped, and its client
 * gets SESSION_EXPIRED rather than a silent double apply.
 */
export class SessionTable {
  private readonly sessions = new Map<number, Session>();

  constructor(readonly maxSessions: number) {}

  register(clientId: number, index: number): void {
    this.sessions.set(clientId, { lastActive: index, results: new Map(), floor: 0 });
    this.evict();
  }

  check(clientId: number, requestId: number, firstUnacked: number, index: number): SessionCheck {
    const s = this.sessions.get(clientId);
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

  record(clientId: number, requestId: number, result: KvResult): void {
    this.sessions.get(clientId)?.results.set(requestId, result);
  }

  size(): number {
    return this.sessions.size;
  }

  private evict(): void {
    while (this.sessions.size > this.maxSessions) {
      let oldest: number | undefined;
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

  toJSON(): [number, number, number, [number, KvResult][]][] {
    return [...this.sessions.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([id, s]) => [id, s.lastActive, s.floor, [...s.results.entries()].sort((a, b) => a[0] - b[0])]);
  }

  static fromJSON(rows: [number, number, number, [number, KvResult][]][], maxSessions: number): SessionTable {
    const t = new SessionTable(maxSessions);
    for (const [id, lastActive, floor, results] of rows) {
      t.sessions.set(id, { lastActive, floor, results: new Map(results) });
    }
    return t;
  }
}
