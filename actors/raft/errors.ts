import { EdgeKVError } from '../../runtime/errors.js';

/** The node asked is not the leader; `leaderId` is its best guess of who is (undefined if none known). */
export class NotLeaderError extends EdgeKVError {
  constructor(readonly nodeId: number, readonly leaderId: number | undefined) {
    super(
      'NOT_LEADER',
      leaderId === undefined
        ? `raft node ${nodeId} is not the leader and knows no leader; retry after an election`
        : `raft node ${nodeId} is not the leader; retry at node ${leaderId}`,
    );
  }
}

/** A proposal was not appended (no leader, leadership transfer in progress, too many uncommitted bytes, ...). */
export class ProposalDroppedError extends EdgeKVError {
  constructor(readonly reason: string, readonly leaderId?: number) {
    super('PROPOSAL_DROPPED', `proposal dropped: ${reason}`);
  }
}

/** The requested log entries were compacted away; the caller must use the snapshot. */
export class LogCompactedError extends EdgeKVError {
  constructor(readonly index: number, readonly firstIndex: number) {
    super('LOG_COMPACTED', `log index ${index} is compacted; the log starts at ${firstIndex}`);
  }
}

/** The requested log entries are past the end of the log. */
export class LogUnavailableError extends EdgeKVError {
  constructor(readonly index: number, readonly lastIndex: number) {
    super('LOG_UNAVAILABLE', `log index ${index} is not available; the log ends at ${lastIndex}`);
  }
}

/** A configuration value the core cannot run with. */
export class RaftConfigError extends EdgeKVError {
  constructor(message: string) {
    super('RAFT_CONFIG', message);
  }
}

/** A membership change was refused (another is pending, unknown node, would leave no voter). */
export class ConfChangeRejectedError extends EdgeKVError {
  constructor(reason: string) {
    super('CONF_CHANGE_REJECTED', `membership change rejected: ${reason}`);
  }
}

/**
 * A client request got no definite answer after all its attempts. For a
 * write the outcome is unknown: it may have been applied (once).
 */
export class RequestOutcomeUnknownError extends EdgeKVError {
  constructor(readonly op: string, readonly attempts: number, readonly lastError: string) {
    super('OUTCOME_UNKNOWN', `${op} got no definite answer after ${attempts} attempts (last: ${lastError}); it may or may not have been applied`);
  }
}

/** The group answered a request with a definite refusal (session expired, bad command, ...). */
export class RequestRejectedError extends EdgeKVError {
  constructor(readonly reason: string, message: string) {
    super('REQUEST_REJECTED', message);
  }
}
