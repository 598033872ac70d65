import * as D from './defaults.js';
import { RaftConfigError } from './errors.js';
import type { ReadOnlyOption } from './read-only.js';
import type { NodeId } from './types.js';

export interface RaftConfig {
  readonly id: NodeId;
  /**
   * Initial voters, used only when storage holds no membership yet (a new
   * group). Later membership comes from snapshots and applied conf changes.
   */
  readonly peers?: readonly NodeId[];
  readonly learners?: readonly NodeId[];
  /** Last index the state machine had applied before a restart. */
  readonly applied?: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** Campaign only after a PreVote round shows a majority would vote (default on). */
  readonly preVote?: boolean;
  /** A leader steps down when it has not heard from a quorum within an election timeout (default on). */
  readonly checkQuorum?: boolean;
  /** 'leaseBased' requires checkQuorum; default 'safe'. */
  readonly readOnly?: ReadOnlyOption;
  /** When set, a follower answers proposals with NotLeaderError instead of forwarding them. */
  readonly disableProposalForwarding?: boolean;
  readonly maxAppendBytes?: number;
  readonly maxEntriesPerAppend?: number;
  readonly maxInflightMsgs?: number;
  readonly maxInflightBytes?: number;
  readonly snapshotChunkBytes?: number;
  readonly maxUncommittedBytes?: number;
  readonly maxApplyBytesPerReady?: number;
  readonly leaseDriftMarginTicks?: number;
}

export interface ResolvedConfig {
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly readOnly: ReadOnlyOption;
  readonly disableProposalForwarding: boolean;
  readonly maxAppendBytes: number;
  readonly maxEntriesPerAppend: number;
  readonly maxInflightMsgs: number;
  readonly maxInflightBytes: number;
  readonly snapshotChunkBytes: number;
  readonly maxUncommittedBytes: number;
  readonly maxApplyBytesPerReady: number;
  readonly leaseDriftMarginTicks: number;
}

export function resolveConfig(c: RaftConfig): ResolvedConfig {
  if (!Number.isInteger(c.id) || c.id <= 0) throw new RaftConfigError(`node id must be a positive integer, got ${c.id}`);
  const r: ResolvedConfig = {
    electionTicks: c.electionTicks ?? D.ELECTION_TICKS,
    heartbeatTicks: c.heartbeatTicks ?? D.HEARTBEAT_TICKS,
    preVote: c.preVote ?? true,
    checkQuorum: c.checkQuorum ?? true,
    readOnly: c.readOnly ?? 'safe',
    disableProposalForwarding: c.disableProposalForwarding ?? false,
    maxAppendBytes: c.maxAppendBytes ?? D.MAX_APPEND_BYTES,
    maxEntriesPerAppend: c.maxEntriesPerAppend ?? D.MAX_ENTRIES_PER_APPEND,
    maxInflightMsgs: c.maxInflightMsgs ?? D.MAX_INFLIGHT_MSGS,
    maxInflightBytes: c.maxInflightBytes ?? D.MAX_INFLIGHT_BYTES,
    snapshotChunkBytes: c.snapshotChunkBytes ?? D.SNAPSHOT_CHUNK_BYTES,
    maxUncommittedBytes: c.maxUncommittedBytes ?? D.MAX_UNCOMMITTED_BYTES,
    maxApplyBytesPerReady: c.maxApplyBytesPerReady ?? D.MAX_APPLY_BYTES_PER_READY,
    leaseDriftMarginTicks: c.leaseDriftMarginTicks ?? D.LEASE_DRIFT_MARGIN_TICKS,
  };
  if (r.heartbeatTicks < 1) throw new RaftConfigError(`heartbeatTicks must be >= 1, got ${r.heartbeatTicks}`);
  if (r.electionTicks <= r.heartbeatTicks) {
    throw new RaftConfigError(`electionTicks (${r.electionTicks}) must exceed heartbeatTicks (${r.heartbeatTicks})`);
  }
  if (r.maxInflightMsgs < 1) throw new RaftConfigError(`maxInflightMsgs must be >= 1, got ${r.maxInflightMsgs}`);
  if (r.snapshotChunkBytes < 1) throw new RaftConfigError(`snapshotChunkBytes must be >= 1`);
  if (r.readOnly === 'leaseBased' && r.leaseDriftMarginTicks >= r.electionTicks) {
    throw new RaftConfigError(`leaseDriftMarginTicks (${r.leaseDriftMarginTicks}) must be below electionTicks (${r.electionTicks})`);
  }
  if (r.readOnly === 'leaseBased' && !r.checkQuorum) {
    throw new RaftConfigError('readOnly "leaseBased" needs checkQuorum: without it a deposed leader could still think it holds the lease');
  }
  return r;
}
