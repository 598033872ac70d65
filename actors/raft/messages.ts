import type { Entry, NodeId, SnapshotMeta } from './types.js';

/**
 * Every message the core takes in or puts out. "Local" ones never cross the
 * network (they are how the member drives the core); the others do, and all
 * of those carry the sender's term.
 */
export type Message =
  | HupMsg
  | BeatMsg
  | CheckQuorumMsg
  | PropMsg
  | AppMsg
  | AppRespMsg
  | VoteMsg
  | VoteRespMsg
  | HeartbeatMsg
  | HeartbeatRespMsg
  | SnapMsg
  | SnapRespMsg
  | TransferLeaderMsg
  | TimeoutNowMsg
  | ReadIndexMsg
  | ReadIndexRespMsg
  | UnreachableMsg
  | SnapStatusMsg;

interface Base {
  readonly from: NodeId;
  readonly to: NodeId;
  /** 0 for local messages, which are never term-checked. */
  readonly term: number;
}

/** Local: start an election now (the election timer fired or a test/transfer asked). */
export interface HupMsg extends Base {
  readonly type: 'hup';
  /** Set by leadership transfer: skip PreVote and override the voters' leader lease. */
  readonly transfer?: boolean;
}
/** Local: the leader should send heartbeats now. */
export interface BeatMsg extends Base {
  readonly type: 'beat';
}
/** Local: the leader checks that a quorum has been active in the last election timeout. */
export interface CheckQuorumMsg extends Base {
  readonly type: 'checkQuorum';
}
/** A proposal; local on the leader, or forwarded to it by a follower. */
export interface PropMsg extends Base {
  readonly type: 'prop';
  readonly entries: readonly Pick<Entry, 'type' | 'data'>[];
}
/** AppendEntries: `index`/`logTerm` name the entry that precedes `entries`. */
export interface AppMsg extends Base {
  readonly type: 'app';
  readonly index: number;
  readonly logTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}
/**
 * Answer to AppendEntries. On success `index` is the last index now known to
 * match. On rejection `index` is the rejected `index` and `hintIndex`/`hintTerm`
 * name the follower's last entry at or below it whose term is `<= ` the
 * leader's `logTerm` there, letting the leader skip a whole term per round trip.
 */
export interface AppRespMsg extends Base {
  readonly type: 'appResp';
  readonly index: number;
  readonly reject: boolean;
  readonly hintIndex: number;
  readonly hintTerm: number;
}
export interface VoteMsg extends Base {
  readonly type: 'vote' | 'preVote';
  /** The candidate's last log index and term. */
  readonly index: number;
  readonly logTerm: number;
  readonly transfer: boolean;
}
export interface VoteRespMsg extends Base {
  readonly type: 'voteResp' | 'preVoteResp';
  readonly reject: boolean;
  /**
   * On rejection: the voter's commit index and the term of its entry there. A
   * candidate whose log holds the same entry knows that prefix is committed
   * (Log Matching) and may commit it; this un-sticks a group whose members
   * have not yet learned that a membership change committed.
   */
  readonly commit?: number;
  readonly commitTerm?: number;
}
export interface HeartbeatMsg extends Base {
  readonly type: 'heartbeat';
  /** min(leader commit, follower match): never ask a follower to commit what it may not have. */
  readonly commit: number;
  /** Non-empty when the heartbeat confirms leadership for a ReadIndex request. */
  readonly context: Uint8Array;
  /** The leader's own tick count when it sent this; echoed back to time the leader lease. */
  readonly sentTick: number;
}
export interface HeartbeatRespMsg extends Base {
  readonly type: 'heartbeatResp';
  readonly context: Uint8Array;
  readonly sentTick: number;
}
/** One chunk of InstallSnapshot; chunks go one at a time, each acknowledged. */
export interface SnapMsg extends Base {
  readonly type: 'snap';
  readonly meta: SnapshotMeta;
  readonly offset: number;
  readonly totalBytes: number;
  readonly chunk: Uint8Array;
}
/** Acknowledges a snapshot chunk; `nextOffset` is where the follower wants the next chunk. */
export interface SnapRespMsg extends Base {
  readonly type: 'snapResp';
  readonly snapIndex: number;
  readonly nextOffset: number;
}
/** Local (or forwarded to the leader): hand leadership to `transferee`. */
export interface TransferLeaderMsg extends Base {
  readonly type: 'transferLeader';
  readonly transferee: NodeId;
}
/** Leader to transferee: campaign now, ignoring election timeout and PreVote. */
export interface TimeoutNowMsg extends Base {
  readonly type: 'timeoutNow';
}
/** A linearizable read request; local, or forwarded to the leader by a follower. */
export interface ReadIndexMsg extends Base {
  readonly type: 'readIndex';
  readonly context: Uint8Array;
}
export interface ReadIndexRespMsg extends Base {
  readonly type: 'readIndexResp';
  readonly index: number;
  readonly context: Uint8Array;
}
/** Local: the transport could not reach `from`; the leader falls back to probing it. */
export interface UnreachableMsg extends Base {
  readonly type: 'unreachable';
}
/** Local: the transport failed to deliver a snapshot to `from`. */
export interface SnapStatusMsg extends Base {
  readonly type: 'snapStatus';
  readonly reject: boolean;
}

export type MessageType = Message['type'];

const LOCAL: ReadonlySet<MessageType> = new Set([
  'hup',
  'beat',
  'checkQuorum',
  'unreachable',
  'snapStatus',
]);

export function isLocalMessage(m: Message): boolean {
  return LOCAL.has(m.type);
}

export function isResponse(m: Message): boolean {
  return (
    m.type === 'appResp' ||
    m.type === 'voteResp' ||
    m.type === 'preVoteResp' ||
    m.type === 'heartbeatResp' ||
    m.type === 'snapResp' ||
    m.type === 'readIndexResp'
  );
}
