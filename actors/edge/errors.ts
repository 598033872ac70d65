import { UnavailableError } from '../../api/errors.js';
import { EdgeKVError } from '../../runtime/errors.js';

/** The cluster layout or a node's config does not fit together (unknown node, gateway without a group, ...). */
export class EdgeConfigError extends EdgeKVError {
  constructor(message: string) {
    super('EDGE_CONFIG', message);
  }
}

/**
 * A write's request id fell out of its session's window (more than
 * MAX_SESSION_RESULTS newer requests of the same client were applied): it
 * was answered before and is not applied again. Use fresh request ids.
 */
export class StaleRequestError extends EdgeKVError {
  constructor(message: string) {
    super('STALE_REQUEST', message);
  }
}

/** A step of moving a key range between groups failed; the gateway retries the hook. */
export class MigrationError extends EdgeKVError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MIGRATION_FAILED', message, options);
  }
}

/** A graceful gateway leave did not complete. */
export class LeaveFailedError extends EdgeKVError {
  constructor(readonly gateway: string, reason: string) {
    super('LEAVE_FAILED', `gateway ${gateway} could not leave the ring: ${reason}`);
  }
}

/** The key's ring range is fenced in the group asked: it is moving (or moved) to another group. Retry: UNAVAILABLE. */
export class RangeMovingError extends UnavailableError {
  constructor(detail: string) {
    super(`the key's range is moving between groups; retry (${detail})`);
  }
}
