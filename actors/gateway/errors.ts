import { EdgeKVError } from '../../runtime/errors.js';

/** A value that should be a ring id is not an integer in [0, 2^bits). */
export class InvalidRingIdError extends EdgeKVError {
  constructor(readonly value: unknown, readonly bits: number) {
    super('INVALID_RING_ID', `ring id must be a bigint in [0, 2^${bits}), got ${typeof value === 'bigint' ? value.toString(16) : String(value)}`);
  }
}

/** A lookup could not reach the key's owner (every route timed out or the step budget ran out). */
export class LookupFailedError extends EdgeKVError {
  constructor(readonly keyId: bigint, readonly reason: string) {
    super('LOOKUP_FAILED', `lookup of ${keyId.toString(16).slice(0, 10)} failed: ${reason}; retry once the ring has stabilized`);
  }
}

/** The gateway is joining or leaving and does not serve its range yet (or any more); retry shortly. */
export class NotServingError extends EdgeKVError {
  constructor(readonly gateway: string, readonly state: string) {
    super('GATEWAY_NOT_SERVING', `gateway ${gateway} is ${state} and does not serve its range; retry after it has joined`);
  }
}

/** A gateway tried to join a ring where its id is already taken (two gateways with one name). */
export class DuplicateRingIdError extends EdgeKVError {
  constructor(readonly gateway: string, readonly id: bigint) {
    super('DUPLICATE_RING_ID', `gateway ${gateway} has ring id ${id.toString(16).slice(0, 10)}…, already in the ring; give it a unique name`);
  }
}

/** Bad gateway configuration (a successor list of length 0, a non-positive period). */
export class GatewayConfigError extends EdgeKVError {
  constructor(message: string) {
    super('GATEWAY_CONFIG', message);
  }
}
