import type { ConfChange } from './conf-change.js';
import type { KvRequest, KvResult } from './kv/commands.js';
import type { Message } from './messages.js';
import type { RaftStatus } from './core.js';
import type { ConfState, NodeId } from './types.js';

/** linearizable: ReadIndex through the leader; serializable: this member's state as it is (may be stale). */
export type ReadConsistency = 'linearizable' | 'serializable';

/** What a raft-member actor accepts. Peers send `raft`; clients `ask` the rest. */
export type RaftMemberMessage =
  | { readonly kind: 'tick' }
  | { readonly kind: 'raft'; readonly message: Message }
  /** A write (or a read through the log); answered with a MemberReply once applied here. */
  | { readonly kind: 'propose'; readonly request: KvRequest }
  /** A read: linearizable via ReadIndex, or serializable from this member's state. */
  | { readonly kind: 'get'; readonly key: string; readonly consistency: ReadConsistency }
  /** Keys in [start, end) in byte order, at most `limit`; same consistency choices as `get`. */
  | { readonly kind: 'range'; readonly start: string; readonly end: string; readonly limit?: number; readonly consistency: ReadConsistency }
  /** A read-only question for the state machine (`ReplicatedKv.query`); same consistency choices as `get`. */
  | { readonly kind: 'query'; readonly query: unknown; readonly consistency: ReadConsistency }
  /** Leader only (others answer NOT_LEADER with a hint); answered with a ConfChangeReply once applied there. */
  | { readonly kind: 'confChange'; readonly change: ConfChange }
  | { readonly kind: 'transferLeader'; readonly to: NodeId }
  | { readonly kind: 'status' }
  /** Internal: time to send the commit notices the leader held back (see RaftMemberOptions.commitNoticeDelayMs). */
  | { readonly kind: 'commitNotice' }
  /** Internal: send the leader traffic that arrived while a Ready was being persisted (RaftCore.takeEarlyMessages). */
  | { readonly kind: 'pipeline' }
  /** Internal: the Ready loop failed (e.g. the disk); the actor fails so its supervisor acts. */
  | { readonly kind: 'fatal'; readonly message: string };

export type MemberErrorCode =
  | 'NOT_LEADER'
  | 'PROPOSAL_DROPPED'
  | 'CONF_CHANGE_REJECTED'
  | 'TIMEOUT'
  | 'INVALID_ARGUMENT';

/** Errors travel as values: they cross the wire as plain data. */
export type MemberReply =
  /** `leaderId`: who leads as far as the answering member knows, so clients go there next time. */
  | { readonly ok: true; readonly result: KvResult; readonly leaderId?: NodeId }
  | { readonly ok: false; readonly code: MemberErrorCode; readonly message: string; readonly leaderId?: NodeId };

export type ConfChangeReply =
  | { readonly ok: true; readonly confState: ConfState }
  | { readonly ok: false; readonly code: MemberErrorCode; readonly message: string; readonly leaderId?: NodeId };

export type StatusReply = Omit<RaftStatus, 'progress'> & { readonly progress: [NodeId, unknown][] };
