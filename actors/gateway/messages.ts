import type { ActorRef } from '../../runtime/actor-ref.js';
import type { NextHop } from './chord-core.js';
import type { Peer } from './peer.js';
import type { RingId } from './ring-id.js';

/** A gateway as other gateways and the pure core see it: ring id + ref. Travels in messages (BigInt ids are encoded). */
export type PeerRef = Peer<ActorRef<GatewayMessage>>;

export type GatewayState =
  /** Looking for its successor and waiting for the range handoff; serves nothing. */
  | 'joining'
  /** Accepted by its successor; its `acquire` hook is running; serves nothing yet. */
  | 'acquiring'
  | 'serving'
  /** Handing its range to its successor; holds requests for it meanwhile. */
  | 'leaving'
  | 'left';

// ---- the public surface -------------------------------------------------------

/** Ask: who owns `keyId`? Any serving gateway answers with a LookupReply. */
export interface LookupRequest {
  kind: 'lookup';
  keyId: RingId;
  /**
   * Skip the owner's confirmation (one round trip): for a caller that checks
   * ownership itself, as the join handshake does, and that would rather get a
   * close guess than a failure while the ring is in flux.
   */
  unconfirmed?: boolean;
}
export type LookupReply =
  | { kind: 'lookup-ok'; keyId: RingId; owner: PeerRef; hops: number }
  | { kind: 'lookup-failed'; keyId: RingId; reason: string };

/**
 * Ask: the Resource Finder. Hashes `keyBytes`, routes to the owner gateway,
 * which hands `payload` to its group as a GroupRequest; the group's reply
 * comes back in `reply`.
 */
export interface RouteRequest {
  kind: 'route';
  keyBytes: Uint8Array;
  payload: unknown;
}
export type RouteReply =
  | { kind: 'routed'; owner: PeerRef; hops: number; reply: unknown }
  | { kind: 'route-failed'; code: 'LOOKUP_FAILED' | 'GATEWAY_NOT_SERVING' | 'GROUP_FAILED' | 'RING_CHANGING' | 'INVALID_ARGUMENT'; reason: string };

/** What an owner gateway asks its group; the group's reply is relayed verbatim. */
export interface GroupRequest {
  kind: 'global-request';
  keyId: RingId;
  keyBytes: Uint8Array;
  payload: unknown;
}

/** Ask: is `keyId` in this gateway's range (predecessor, self], and does it serve it? */
export interface OwnsKeyRequest {
  kind: 'owns-key';
  keyId: RingId;
}
export interface OwnsKeyReply {
  kind: 'owns-key';
  keyId: RingId;
  owns: boolean;
}

/** Ask: leave the ring gracefully (hand the range to the successor, tell the neighbours, stop). */
export interface LeaveRequest {
  kind: 'leave';
}
export type LeaveReply = { kind: 'left'; successor: PeerRef | undefined } | { kind: 'leave-failed'; reason: string };

/** Ask: a snapshot of the gateway's ring state. */
export interface StatusRequest {
  kind: 'status';
}
export interface GatewayStatus {
  kind: 'status';
  self: PeerRef;
  state: GatewayState;
  predecessor: PeerRef | undefined;
  successors: PeerRef[];
  /** Finger ids, undefined where not known yet. */
  fingers: Array<RingId | undefined>;
}

// ---- the Chord protocol between gateways -----------------------------------------

/** Stabilize asks the successor for its predecessor and successor list in one round trip. */
export interface GetNeighbours {
  kind: 'get-neighbours';
}
export interface Neighbours {
  kind: 'neighbours';
  self: PeerRef;
  predecessor: PeerRef | undefined;
  successors: PeerRef[];
}

export interface Notify {
  kind: 'notify';
  peer: PeerRef;
}

/** One step of an iterative lookup, routing around the `avoid`ed (suspected) nodes. */
export interface FindNext {
  kind: 'find-next';
  keyId: RingId;
  avoid: RingId[];
}
export interface FindNextReply {
  kind: 'next-hop';
  hop: NextHop<ActorRef<GatewayMessage>>;
}

export interface Ping {
  kind: 'ping';
}
export interface Pong {
  kind: 'pong';
  id: RingId;
}

/**
 * A joining gateway asks its successor for its range. The successor answers
 * at once (started, busy, redirect); once its `release` hook resolved it
 * tells the joiner JoinAccepted, again and again until the joiner acks: an
 * acceptance can never be lost, however long the migration took.
 */
export interface JoinHandoff {
  kind: 'join-handoff';
  joiner: PeerRef;
}
export type JoinHandoffReply =
  /** The handshake runs (or ran): JoinAccepted follows. */
  | { kind: 'join-started' }
  /** The joiner is not in (predecessor, self): try `hint`, or look up again. */
  | { kind: 'join-redirect'; hint: PeerRef | undefined }
  /** Another handshake is running or the successor's own range is unsettled: retry. */
  | { kind: 'join-busy'; reason: string }
  | { kind: 'join-duplicate' };

/** Tell, successor → joiner: (predecessor, joiner] is the joiner's; `predecessor` is the successor itself if it was alone; `successors` is the successor's own list. */
export interface JoinAccepted {
  kind: 'join-accepted';
  successor: PeerRef;
  predecessor: PeerRef;
  successors: PeerRef[];
}

/** Tell, joiner → successor: JoinAccepted arrived. */
export interface JoinAck {
  kind: 'join-ack';
  joiner: PeerRef;
}

/** A leaving gateway hands its range (predecessor, leaving] to its successor; answered once the `acquire` hook resolved. */
export interface LeaveHandoff {
  kind: 'leave-handoff';
  leaving: PeerRef;
  predecessor: PeerRef;
}
export type LeaveHandoffReply =
  | { kind: 'leave-accepted' }
  /** Another range handshake runs at the successor: retry the handoff shortly. */
  | { kind: 'leave-busy'; reason: string }
  | { kind: 'leave-refused'; reason: string };

/** Tell: the leaving gateway's predecessor takes the leaver's successors as its own. */
export interface SuccessorLeaving {
  kind: 'successor-leaving';
  leaving: PeerRef;
  successors: PeerRef[];
}

/** Ask the owner gateway to hand a request to its group. */
export interface Deliver {
  kind: 'deliver';
  keyId: RingId;
  keyBytes: Uint8Array;
  payload: unknown;
}
export type DeliverReply =
  | { kind: 'delivered'; reply: unknown }
  | { kind: 'not-owner' }
  | { kind: 'not-serving'; state: GatewayState }
  | { kind: 'group-failed'; reason: string };

/** Every message a gateway accepts from other actors. */
export type GatewayMessage =
  | LookupRequest
  | OwnsKeyRequest
  | RouteRequest
  | LeaveRequest
  | StatusRequest
  | GetNeighbours
  | Notify
  | FindNext
  | Ping
  | JoinHandoff
  | JoinAccepted
  | JoinAck
  | LeaveHandoff
  | SuccessorLeaving
  | Deliver;

/** msgpack has no `undefined`: an absent peer arrives as null. */
export function peerOrUndefined(p: PeerRef | null | undefined): PeerRef | undefined {
  return p ?? undefined;
}
