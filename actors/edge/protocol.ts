import type { Consistency } from '../../api/types.js';

/**
 * What travels between an edge node's front door and the group agents (one
 * beside each gateway, at `edgePaths.groupAgent`). Plain data: it crosses
 * threads, processes and the simulated network.
 */

/** The payload of a routed global request (the gateway's `route` → the owner's group agent). */
export type GlobalOp =
  | { op: 'get'; consistency: Consistency; timeoutMs: number }
  | { op: 'put'; value: Uint8Array; clientId: string; requestId: number; timeoutMs: number }
  | { op: 'delete'; clientId: string; requestId: number; timeoutMs: number };

/** Error codes a group agent answers with; the front door maps them onto api/errors. */
export type AgentErrorCode = 'FENCED' | 'UNAVAILABLE' | 'DEADLINE_EXCEEDED' | 'STALE_REQUEST' | 'SESSION_EXPIRED' | 'INTERNAL';

export type AgentReply<T> = { ok: true; value: T } | { ok: false; code: AgentErrorCode; message: string };

/** Asked of a group agent directly (the fan-out of global range operations). */
export type AgentRequest =
  | { kind: 'grange'; start: string; end: string; limit: number; consistency: Consistency; timeoutMs: number }
  | { kind: 'gdeleteRange'; start: string; end: string; clientId: string; requestId: number; timeoutMs: number };
