export { ChordCore, type ChordCoreOptions, type NextHop, type StabilizeOutcome } from './chord-core.js';
export { gatewayDefaults, type GatewayTuning } from './defaults.js';
export { DuplicateRingIdError, GatewayConfigError, InvalidRingIdError, LookupFailedError, NotServingError } from './errors.js';
export { FingerTable } from './finger-table.js';
export { GatewayActor, gatewayProps, type GatewayOptions } from './gateway-actor.js';
export { between, betweenOpen, betweenRightClosed, type Bounds } from './interval.js';
export { LookupWalk, type WalkStep } from './lookup-walk.js';
export type * from './messages.js';
export { peerOrUndefined } from './messages.js';
export type { Peer } from './peer.js';
export {
  groupRangeListener,
  type RangeAcquired,
  type RangeChanged,
  type RangeChangeReason,
  type RangeHookMessage,
  type RangeListener,
  type RangeReleased,
  type RingRange,
} from './range-hooks.js';
export { lookupKey, routeKey } from './resource-finder.js';
export { addPowerOfTwo, checkRingId, formatRingId, isRingId, RING_BITS, ringDistance, ringId, ringSize, type RingId } from './ring-id.js';
export { SuccessorList } from './successor-list.js';
