import type { Actor, ActorContext, Props } from '../../runtime/actor.js';
import type { ActorRef } from '../../runtime/actor-ref.js';
import { ChordCore, type NextHop } from './chord-core.js';
import { gatewayDefaults, type GatewayTuning } from './defaults.js';
import { DuplicateRingIdError, GatewayConfigError, InvalidRingIdError, LookupFailedError, NotServingError } from './errors.js';
import { between } from './interval.js';
import { LookupWalk, type WalkStep } from './lookup-walk.js';
import {
  peerOrUndefined,
  type Deliver,
  type DeliverReply,
  type FindNextReply,
  type GatewayMessage,
  type GatewayState,
  type GatewayStatus,
  type GroupRequest,
  type JoinAccepted,
  type JoinHandoffReply,
  type LeaveHandoffReply,
  type LeaveReply,
  type LookupReply,
  type Neighbours,
  type OwnsKeyReply,
  type PeerRef,
  type RouteReply,
} from './messages.js';
import type { RangeAcquired, RangeChangeReason, RangeListener, RangeReleased, RingRange } from './range-hooks.js';
import { addPowerOfTwo, checkRingId, formatRingId, isRingId, RING_BITS, ringId, type RingId } from './ring-id.js';

export interface GatewayOptions {
  /** Unique in the ring; the ring id is SHA-1(name) unless `id` is given. */
  name: string;
  id?: RingId;
  /**
   * Gateways already in the ring (a seed list); a join asks them in turn, so
   * one dead seed does not keep a gateway out. Without any this gateway
   * creates a new ring.
   */
  bootstrap?: ActorRef<GatewayMessage> | readonly ActorRef<GatewayMessage>[];
  /** The group this gateway fronts: routed requests for its range go there. */
  group?: ActorRef<GroupRequest>;
  /** The data-migration layer's hooks (see range-hooks.ts). */
  listener?: RangeListener;
  tuning?: Partial<GatewayTuning>;
}

type GatewayRef = ActorRef<GatewayMessage>;

/** Messages the gateway sends itself: timers and the results of its asks, so state changes only inside `receive`. */
type Internal =
  | { kind: '$stabilize' }
  | { kind: '$fix-fingers' }
  | { kind: '$check-predecessor' }
  | { kind: '$join' }
  | { kind: '$neighbours'; successorId: RingId; reply: Neighbours | undefined }
  | { kind: '$pong'; predecessorId: RingId; ok: boolean }
  | { kind: '$walk-step'; walkId: number; asked: PeerRef; avoid: RingId[]; attempt: number; hop: NextHop<GatewayRef> | undefined }
  | { kind: '$walk-expired'; walkId: number }
  | { kind: '$delivered'; walkId: number; reply: DeliverReply | undefined }
  | { kind: '$join-owner'; attempt: number; reply: LookupReply | undefined }
  | { kind: '$join-reply'; attempt: number; target: PeerRef; reply: JoinHandoffReply | undefined }
  | { kind: '$hook'; hook: PendingHook }
  | { kind: '$hook-done'; hook: PendingHook }
  | { kind: '$leave-reply'; successor: PeerRef; reply: LeaveHandoffReply | undefined }
  | { kind: '$route-retry'; walkId: number }
  | { kind: '$leave-handoff' }
  | { kind: '$join-poll'; attempt: number; target: PeerRef }
  | { kind: '$accept-resend' }
  | { kind: '$verified'; walkId: number; reply: OwnsKeyReply | undefined }
  | { kind: '$check-ring' }
  | { kind: '$ring-probe'; target: GatewayRef; reply: Neighbours | undefined };

type Msg = GatewayMessage | Internal;

type PendingHook =
  | { kind: 'acquire'; event: RangeAcquired; then: 'serve' | 'take-leaver-range' | 'recovered' }
  | { kind: 'release'; event: RangeReleased; then: 'give-to-joiner' | 'hand-to-successor' | 'announce' };

type WalkPurpose =
  | { kind: 'lookup'; replyTo: ActorRef<unknown> | undefined; attempt: number; confirm: boolean }
  | { kind: 'finger'; index: number }
  | { kind: 'route'; replyTo: ActorRef<unknown> | undefined; deliver: Deliver; attempt: number };

interface PendingWalk {
  walk: LookupWalk<GatewayRef>;
  purpose: WalkPurpose;
}

interface Buffered {
  deliver: Deliver;
  replyTo: ActorRef<unknown> | undefined;
}

/** Props for a gateway actor. */
export function gatewayProps(options: GatewayOptions): Props<GatewayMessage> {
  return { create: () => new GatewayActor(options) as Actor<GatewayMessage> };
}

/**
 * A Chord node in front of one EdgeKV group: wraps ChordCore with the
 * runtime's timers (stabilize, fix_fingers, check_predecessor) and asks
 * (with timeouts: a peer that does not answer is suspected and routed
 * around), runs the join and leave handshakes that let the data-migration
 * layer move a range before its new owner serves it, and is the Resource
 * Finder: iterative lookups and routing of requests to the owner's group.
 * Never awaits inside `receive`, so two gateways asking each other cannot
 * deadlock: ask results come back as messages to self.
 */
export class GatewayActor implements Actor<Msg> {
  private readonly tuning: GatewayTuning;
  private readonly bootstraps: ActorRef<GatewayMessage>[];
  readonly id: RingId;
  private ctx!: ActorContext<Msg>;
  private me!: PeerRef;
  private core!: ChordCore<GatewayRef>;
  private state: GatewayState = 'joining';
  private stabilizing = false;
  private pinging = false;
  private fixing = false;
  private readonly walks = new Map<number, PendingWalk>();
  private nextWalkId = 1;
  /** Set by check_predecessor; the next notify says how far the range grew. */
  private failedPredecessor: PeerRef | undefined;
  /** Successor side of a join handshake in progress. */
  private joinHandoff: { joiner: PeerRef; from: PeerRef } | undefined;
  /** A finished handshake whose JoinAccepted the joiner has not acked yet (re-sent until it does). */
  private pendingAccept: { accepted: JoinAccepted; joiner: PeerRef; resends: number } | undefined;
  private leaveHandoff: { leaving: PeerRef; predecessor: PeerRef; replyTo: ActorRef<unknown> | undefined } | undefined;
  private joinAttempt = 0;
  private joinRedirects = 0;
  private leaving: { replyTo: ActorRef<unknown> | undefined; predecessor: PeerRef; successor: PeerRef } | undefined;
  private buffered: Buffered[] = [];
  private hookSeq = 0;
  /** Predecessor-failure recoveries whose acquire hook has not finished. */
  private recoveries = 0;
  /** Gateways seen in any answer, for the ring check (oldest first, bounded). */
  private readonly acquaintances = new Map<RingId, PeerRef>();
  private probing = false;
  /** Gateways that left gracefully, until when their late messages are ignored (they must not put them back in the ring). */
  private readonly departed = new Map<RingId, number>();
  /** Consecutive unanswered asks per neighbour role and id. */
  private readonly misses = new Map<string, number>();

  constructor(private readonly options: GatewayOptions) {
    this.tuning = { ...gatewayDefaults, ...options.tuning };
    for (const [k, v] of Object.entries(this.tuning)) {
      if (!(typeof v === 'number' && v > 0)) throw new GatewayConfigError(`gateway tuning ${k} must be a positive number, got ${String(v)}`);
    }
    this.id = options.id === undefined ? ringId(options.name) : checkRingId(options.id);
    const b = options.bootstrap;
    this.bootstraps = b === undefined ? [] : Array.isArray(b) ? [...b] : [b as ActorRef<GatewayMessage>];
  }

  // ---- lifecycle ------------------------------------------------------------------

  preStart(ctx: ActorContext<Msg>): void {
    this.ctx = ctx;
    this.me = { id: this.id, ref: ctx.self as GatewayRef };
    this.core = new ChordCore<GatewayRef>(this.me, { successorListLength: this.tuning.successorListLength });
    // Random first firing spreads the periodic work of gateways started together.
    ctx.startTimer('stabilize', ctx.random.next() * this.tuning.stabilizeMs, { kind: '$stabilize' });
    ctx.startTimer('fix-fingers', ctx.random.next() * this.tuning.fixFingersMs, { kind: '$fix-fingers' });
    ctx.startTimer('check-predecessor', ctx.random.next() * this.tuning.checkPredecessorMs, { kind: '$check-predecessor' });
    ctx.startTimer('check-ring', ctx.random.next() * this.tuning.ringCheckMs, { kind: '$check-ring' });
    if (this.bootstraps.length === 0) {
      this.state = 'serving';
      this.emitChanged('created');
      ctx.log.log('info', 'gateway: created a ring', { gateway: this.options.name, id: formatRingId(this.id) });
    } else {
      // A timer, not a tell: the runtime registers the actor only after preStart returns, so a tell to self from here is a dead letter.
      ctx.startTimer('join', 0, { kind: '$join' });
    }
  }

  /** The gateway's ring state (tests, status pages). */
  status(): GatewayStatus {
    return {
      kind: 'status',
      self: this.me,
      state: this.state,
      predecessor: this.core.predecessor,
      successors: [...this.core.successors.entries()],
      fingers: this.core.fingers.ids(),
    };
  }

  /** Is `id` in this gateway's range (predecessor, self]? */
  ownsKey(id: RingId): boolean {
    return this.state === 'serving' && this.core.ownsKey(id);
  }

  receive(m: Msg, ctx: ActorContext<Msg>): void {
    if (this.state === 'left') {
      if (ctx.sender !== undefined) ctx.reply({ kind: 'not-serving', state: 'left' } satisfies DeliverReply);
      return;
    }
    try {
      this.handle(m, ctx);
    } catch (error) {
      // A restart would forget the ring (and a ring creator would found a new one): a bad message must cost only itself.
      ctx.log.log('error', 'gateway: message handling failed', {
        gateway: this.options.name,
        message: m.kind,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private handle(m: Msg, ctx: ActorContext<Msg>): void {
    switch (m.kind) {
      // public surface
      case 'lookup':
        return this.onLookup(m.keyId, ctx.sender, m.unconfirmed === true);
      case 'route':
        return this.onRoute(m.keyBytes, m.payload, ctx.sender);
      case 'owns-key':
        return ctx.reply({ kind: 'owns-key', keyId: m.keyId, owns: isRingId(m.keyId) && this.ownsKey(m.keyId) } satisfies OwnsKeyReply);
      case 'leave':
        return this.onLeave(ctx.sender);
      case 'status':
        return ctx.reply(this.status());
      // Chord protocol
      case 'get-neighbours':
        return ctx.reply({
          kind: 'neighbours',
          self: this.me,
          predecessor: this.core.predecessor,
          successors: [...this.core.successors.entries()],
        } satisfies Neighbours);
      case 'notify':
        return this.onNotify(m.peer);
      case 'find-next': {
        const valid = isRingId(m.keyId) && Array.isArray(m.avoid);
        return ctx.reply({ kind: 'next-hop', hop: valid ? this.routeStep(m.keyId, new Set(m.avoid)) : { kind: 'stuck' } } satisfies FindNextReply);
      }
      case 'ping':
        return ctx.reply({ kind: 'pong', id: this.id });
      case 'join-handoff':
        return this.onJoinHandoff(m.joiner, ctx.sender);
      case 'join-accepted':
        return this.onJoinAccepted(m);
      case 'join-ack':
        return this.onJoinAck(m.joiner);
      case '$accept-resend':
        return this.resendAccept();
      case '$verified':
        return this.onVerified(m.walkId, m.reply);
      case 'leave-handoff':
        return this.onLeaveHandoff(m.leaving, m.predecessor, ctx.sender);
      case 'successor-leaving':
        return this.onSuccessorLeaving(m.leaving, m.successors);
      case 'deliver':
        return this.onDeliver(m, ctx.sender);
      // timers and ask results
      case '$stabilize':
        return this.stabilize();
      case '$neighbours':
        return this.onNeighbours(m.successorId, m.reply);
      case '$check-predecessor':
        return this.checkPredecessor();
      case '$pong':
        this.pinging = false;
        if (m.ok) this.misses.delete(`predecessor:${m.predecessorId}`);
        else if (this.core.predecessor?.id === m.predecessorId && this.missed('predecessor', m.predecessorId)) {
          this.peerFailed(m.predecessorId, 'check_predecessor');
        } else if (this.core.predecessor?.id === m.predecessorId) {
          this.ctx.self.tell({ kind: '$check-predecessor' });
        }
        return;
      case '$fix-fingers':
        return this.fixFingers();
      case '$walk-step':
        return this.onWalkStep(m);
      case '$walk-expired':
        return this.onWalkExpired(m.walkId);
      case '$delivered':
        return this.onDelivered(m.walkId, m.reply);
      case '$route-retry':
        return this.retryRoute(m.walkId);
      case '$join':
        return this.join();
      case '$join-owner':
        return this.onJoinOwner(m.attempt, m.reply);
      case '$join-reply':
        return this.onJoinReply(m.attempt, m.target, m.reply);
      case '$join-poll':
        if (m.attempt === this.joinAttempt && this.state === 'joining') this.sendJoinHandoff(m.attempt, m.target);
        return;
      case '$hook':
        return this.runHook(m.hook);
      case '$hook-done':
        return this.onHookDone(m.hook);
      case '$leave-reply':
        return this.onLeaveReply(m.successor, m.reply);
      case '$leave-handoff':
        return this.sendLeaveHandoff();
      case '$check-ring':
        return this.checkRing();
      case '$ring-probe':
        return this.onRingProbe(m.target, m.reply);
    }
  }

  postStop(): void {
    this.walks.clear();
  }

  // ---- stabilize, notify, check_predecessor, fix_fingers ------------------------

  private stabilize(): void {
    this.ctx.startTimer('stabilize', this.tuning.stabilizeMs, { kind: '$stabilize' });
    if (this.state === 'joining' || this.stabilizing) return;
    if (this.core.successors.isEmpty()) {
      // Alone, or every successor failed: take the first notifier, or the nearest node still known.
      if (this.core.adoptPredecessorAsSuccessor() || this.core.recoverSuccessor()) {
        this.core.successor.ref.tell({ kind: 'notify', peer: this.me });
      }
      return;
    }
    const successor = this.core.successor;
    this.stabilizing = true;
    this.askPeer<Neighbours>(successor, { kind: 'get-neighbours' }, this.tuning.askTimeoutMs, (reply) => ({
      kind: '$neighbours',
      successorId: successor.id,
      reply,
    }));
  }

  private onNeighbours(successorId: RingId, reply: Neighbours | undefined): void {
    this.stabilizing = false;
    if (reply === undefined) {
      if (!this.core.successors.has(successorId)) return;
      if (this.missed('successor', successorId)) this.peerFailed(successorId, 'stabilize');
      // Ask again (or the next successor) now rather than a period later.
      this.ctx.self.tell({ kind: '$stabilize' });
      return;
    }
    this.misses.delete(`successor:${successorId}`);
    this.learn(reply.self, peerOrUndefined(reply.predecessor), ...reply.successors);
    if (this.core.successor.id !== successorId) return; // the successor changed while we asked
    let x = peerOrUndefined(reply.predecessor);
    if (x !== undefined && this.isDeparted(x.id)) x = undefined;
    const out = this.core.stabilize(reply.self, x, reply.successors.filter((p) => !this.isDeparted(p.id)));
    // A leaving gateway must not re-enter anyone's ring state: its successor is taking its range over.
    if (this.state !== 'leaving') out.notify.ref.tell({ kind: 'notify', peer: this.me });
  }

  private onNotify(peer: PeerRef): void {
    // A notify from a gateway that left through us was in flight when it left: it is not our predecessor any more.
    if (this.state === 'joining' || this.isDeparted(peer.id)) return;
    this.learn(peer);
    const wasAlone = this.core.isAlone;
    const result = this.core.notify(peer);
    if (this.core.successors.isEmpty()) this.core.adoptPredecessorAsSuccessor();
    if (!result.changed) return;
    const failed = this.failedPredecessor;
    this.failedPredecessor = undefined;
    // Where this gateway's range started before: its old predecessor, the one that failed, or itself if it
    // was alone (it owned the whole ring, so it releases (self, peer] to the gateway that found it again).
    const oldStart = result.previous ?? failed ?? (wasAlone ? this.me : undefined);
    if (oldStart !== undefined && oldStart.id !== peer.id && between(peer.id, oldStart.id, this.id, '()')) {
      // The range grew from (oldStart, self] to (peer, self]: (peer, oldStart] routes here now.
      this.recover({ from: peer.id, to: oldStart.id, previousOwner: oldStart });
    } else if (oldStart !== undefined && between(oldStart.id, peer.id, this.id, '()')) {
      // A node came in between without a handshake (after a partition healed, a split merged): it owns (oldStart, peer]
      // now. `changed` (the group may delete the range) only once the release has copied it over.
      this.fireHook({
        kind: 'release',
        event: { kind: 'range-released', from: oldStart.id, to: peer.id, newOwner: peer, reason: 'predecessor-changed' },
        then: 'announce',
      });
      return;
    }
    this.emitChanged(failed !== undefined && result.previous === undefined ? 'predecessor-failed' : 'predecessor-changed');
  }

  /**
   * The range grew over a failed predecessor's: nothing can be awaited (the
   * keys already route here), but join handshakes wait until the hook is
   * done, so a joiner is never handed a part of the range still being
   * recovered.
   */
  private recover(range: { from: RingId; to: RingId; previousOwner: PeerRef }): void {
    this.recoveries++;
    this.fireHook({
      kind: 'acquire',
      event: { kind: 'range-acquired', ...range, reason: 'predecessor-failed' },
      then: 'recovered',
    });
  }

  /** Alone after failures: the whole ring is ours, including the failed predecessor's range (no notify will ever say so). */
  private settleIfAlone(): void {
    const failed = this.failedPredecessor;
    if (!this.core.isAlone || failed === undefined) return;
    this.failedPredecessor = undefined;
    this.recover({ from: this.id, to: failed.id, previousOwner: failed });
    this.emitChanged('predecessor-failed');
  }

  private checkPredecessor(): void {
    this.ctx.startTimer('check-predecessor', this.tuning.checkPredecessorMs, { kind: '$check-predecessor' });
    const pred = this.core.predecessor;
    if (pred === undefined || this.pinging) return;
    this.pinging = true;
    this.askPeer(pred, { kind: 'ping' }, this.tuning.askTimeoutMs, (reply) => ({
      kind: '$pong',
      predecessorId: pred.id,
      ok: reply !== undefined,
    }));
  }

  private fixFingers(): void {
    this.ctx.startTimer('fix-fingers', this.tuning.fixFingersMs, { kind: '$fix-fingers' });
    if (this.fixing || this.state !== 'serving' || this.core.successors.isEmpty()) return;
    const { index, start } = this.core.nextFingerToFix();
    this.fixing = true;
    this.startWalk(start, { kind: 'finger', index });
  }

  /**
   * The ring check: a gateway in (self, successor) that this gateway does not
   * know as its successor means two rings (or a loop) where there should be
   * one; adopting it lets stabilize and notify merge them.
   */
  private checkRing(): void {
    this.ctx.startTimer('check-ring', this.tuning.ringCheckMs, { kind: '$check-ring' });
    if (this.state !== 'serving' || this.probing) return;
    const candidates: GatewayRef[] = [
      ...[...this.acquaintances.values()].filter((p) => !this.core.successors.has(p.id)).map((p) => p.ref),
      ...this.bootstraps,
    ];
    if (candidates.length === 0) return;
    const target = candidates[this.ctx.random.int(candidates.length)]!;
    this.probing = true;
    const self = this.ctx.self;
    target.ask<Neighbours>({ kind: 'get-neighbours' }, { timeoutMs: this.tuning.askTimeoutMs }).then(
      (reply) => self.tell({ kind: '$ring-probe', target, reply }),
      () => self.tell({ kind: '$ring-probe', target, reply: undefined }),
    );
  }

  private onRingProbe(target: GatewayRef, reply: Neighbours | undefined): void {
    this.probing = false;
    if (reply === undefined) {
      for (const [id, p] of this.acquaintances) if (p.ref.equals(target)) this.acquaintances.delete(id);
      return;
    }
    this.learn(reply.self, peerOrUndefined(reply.predecessor), ...reply.successors);
    const p = reply.self;
    if (this.state !== 'serving' || p.id === this.id) return;
    if (this.core.successors.isEmpty() || between(this.id, p.id, this.core.successor.id, '()')) {
      this.ctx.log.log('info', 'gateway: ring check found a closer successor', { gateway: this.options.name, successor: formatRingId(p.id) });
      this.core.successors.prepend(p);
      this.core.fingers.set(0, this.core.successor);
      p.ref.tell({ kind: 'notify', peer: this.me });
    }
  }

  /** A gateway left gracefully through or next to us; bounded like the acquaintances. */
  private rememberDeparted(id: RingId): void {
    this.departed.delete(id);
    this.departed.set(id, this.ctx.clock.now() + this.tuning.departedQuarantineMs);
    if (this.departed.size > this.tuning.maxAcquaintances) {
      const oldest = this.departed.keys().next().value;
      if (oldest !== undefined) this.departed.delete(oldest);
    }
  }

  private isDeparted(id: RingId): boolean {
    const until = this.departed.get(id);
    if (until === undefined) return false;
    if (until > this.ctx.clock.now()) return true;
    this.departed.delete(id);
    return false;
  }

  /** Remembers gateways for the ring check. */
  private learn(...peers: Array<PeerRef | undefined>): void {
    for (const p of peers) {
      if (p === undefined || p.id === this.id || this.isDeparted(p.id)) continue;
      this.acquaintances.delete(p.id);
      this.acquaintances.set(p.id, p);
      if (this.acquaintances.size > this.tuning.maxAcquaintances) {
        const oldest = this.acquaintances.keys().next().value;
        if (oldest !== undefined) this.acquaintances.delete(oldest);
      }
    }
  }

  /** Counts a miss; true once the peer missed `suspectAfterMisses` asks in a row. */
  private missed(role: 'successor' | 'predecessor', id: RingId): boolean {
    const key = `${role}:${id}`;
    const n = (this.misses.get(key) ?? 0) + 1;
    if (n >= this.tuning.suspectAfterMisses) {
      this.misses.delete(key);
      return true;
    }
    this.misses.set(key, n);
    return false;
  }

  /** A peer did not answer: forget it; a failed successor is replaced by the next live one, a failed predecessor widens the range. */
  private peerFailed(id: RingId, during: string): void {
    const pred = this.core.predecessor;
    const { wasSuccessor, wasPredecessor } = this.core.peerFailed(id);
    if (wasPredecessor) {
      this.failedPredecessor = pred;
      this.emitChanged('predecessor-failed');
    }
    if (wasSuccessor && this.core.successors.isEmpty()) this.core.recoverSuccessor();
    this.settleIfAlone();
    if (wasSuccessor || wasPredecessor) {
      this.ctx.log.log('info', 'gateway: peer suspected', {
        gateway: this.options.name,
        peer: formatRingId(id),
        during,
        successor: formatRingId(this.core.successor.id),
      });
    }
  }

  // ---- routing --------------------------------------------------------------------

  /** A node that has not joined yet knows no route: it must not claim to own keys. */
  private routeStep(key: RingId, avoid: ReadonlySet<RingId>): NextHop<GatewayRef> {
    if (this.state === 'joining') return { kind: 'stuck' };
    return this.core.nextHop(key, avoid);
  }

  private onLookup(keyId: RingId, replyTo: ActorRef<unknown> | undefined, unconfirmed = false): void {
    if (!isRingId(keyId)) {
      replyTo?.tell({ kind: 'lookup-failed', keyId, reason: new InvalidRingIdError(keyId, RING_BITS).message } satisfies LookupReply);
      return;
    }
    if (this.state === 'joining') {
      replyTo?.tell({ kind: 'lookup-failed', keyId, reason: new NotServingError(this.options.name, this.state).message } satisfies LookupReply);
      return;
    }
    this.startWalk(keyId, { kind: 'lookup', replyTo, attempt: 1, confirm: !unconfirmed });
  }

  private onRoute(keyBytes: Uint8Array, payload: unknown, replyTo: ActorRef<unknown> | undefined): void {
    if (!(keyBytes instanceof Uint8Array)) {
      replyTo?.tell({ kind: 'route-failed', code: 'INVALID_ARGUMENT', reason: 'route needs keyBytes as a Uint8Array' } satisfies RouteReply);
      return;
    }
    if (this.state === 'joining') {
      replyTo?.tell({
        kind: 'route-failed',
        code: 'GATEWAY_NOT_SERVING',
        reason: new NotServingError(this.options.name, this.state).message,
      } satisfies RouteReply);
      return;
    }
    const deliver: Deliver = { kind: 'deliver', keyId: ringId(keyBytes), keyBytes, payload };
    this.startWalk(deliver.keyId, { kind: 'route', replyTo, deliver, attempt: 1 });
  }

  private startWalk(key: RingId, purpose: WalkPurpose): number {
    const walk = new LookupWalk<GatewayRef>(key, (k, avoid) => this.routeStep(k, avoid), this.tuning.maxLookupSteps);
    const walkId = this.nextWalkId++;
    this.walks.set(walkId, { walk, purpose });
    this.ctx.startTimer(`walk-${walkId}`, this.tuning.lookupTimeoutMs, { kind: '$walk-expired', walkId });
    this.advance(walkId, walk.start());
    return walkId;
  }

  private advance(walkId: number, step: WalkStep<GatewayRef>): void {
    const pending = this.walks.get(walkId);
    if (pending === undefined) return;
    if (step.kind === 'ask') {
      this.askFindNext(walkId, pending.walk.key, step.peer, step.avoid, 1);
      return;
    }
    if (step.kind === 'done' && pending.purpose.kind === 'lookup' && pending.purpose.confirm && step.owner.id === this.id) {
      this.onVerified(walkId, { kind: 'owns-key', keyId: pending.walk.key, owns: this.ownsKey(pending.walk.key) });
      return;
    }
    if (step.kind === 'done' && pending.purpose.kind === 'lookup' && pending.purpose.confirm) {
      // Confirm with the owner: a lost answer can make a live node look dead, and routing around it then names
      // the next one. One more round trip (not counted in hops) keeps a lookup from ever naming the wrong owner.
      this.askPeer<OwnsKeyReply>(step.owner, { kind: 'owns-key', keyId: pending.walk.key }, this.tuning.askTimeoutMs, (reply) => ({
        kind: '$verified',
        walkId,
        reply,
      }));
      return;
    }
    if (step.kind === 'done' && pending.purpose.kind === 'route') {
      const owner = step.owner;
      this.askPeer<DeliverReply>(
        owner,
        pending.purpose.deliver,
        this.tuning.groupAskTimeoutMs + this.tuning.askTimeoutMs,
        (reply) => ({ kind: '$delivered', walkId, reply }),
      );
      return;
    }
    this.finishWalk(walkId, step);
  }

  private askFindNext(walkId: number, keyId: RingId, peer: PeerRef, avoid: RingId[], attempt: number): void {
    this.askPeer<FindNextReply>(peer, { kind: 'find-next', keyId, avoid }, this.tuning.askTimeoutMs, (reply) => ({
      kind: '$walk-step',
      walkId,
      asked: peer,
      avoid,
      attempt,
      hop: reply?.hop,
    }));
  }

  private onWalkStep(m: Extract<Internal, { kind: '$walk-step' }>): void {
    const { walkId, asked, hop } = m;
    const pending = this.walks.get(walkId);
    if (pending === undefined) return;
    if (hop === undefined) {
      if (m.attempt < this.tuning.suspectAfterMisses) {
        this.askFindNext(walkId, pending.walk.key, asked, m.avoid, m.attempt + 1);
        return;
      }
      // A finger that times out is dropped; successors are judged by stabilize alone, so one slow answer cannot cut the ring.
      this.core.fingers.remove(asked.id);
      this.advance(walkId, pending.walk.timeout());
      return;
    }
    if (hop.kind === 'owner') this.learn(hop.owner);
    else if (hop.kind === 'forward') this.learn(hop.peer);
    this.advance(walkId, pending.walk.answer(hop));
  }

  private onWalkExpired(walkId: number): void {
    const pending = this.walks.get(walkId);
    if (pending === undefined) return;
    this.finishWalk(walkId, { kind: 'failed', reason: `no answer within ${this.tuning.lookupTimeoutMs} ms`, hops: 0 });
  }

  private finishWalk(walkId: number, step: WalkStep<GatewayRef>): void {
    const pending = this.walks.get(walkId);
    if (pending === undefined) return;
    this.walks.delete(walkId);
    this.ctx.cancelTimer(`walk-${walkId}`);
    const { walk, purpose } = pending;
    switch (purpose.kind) {
      case 'finger':
        this.fixing = false;
        if (step.kind === 'done') this.core.fingerFixed(purpose.index, step.owner);
        return;
      case 'lookup':
        purpose.replyTo?.tell(
          step.kind === 'done'
            ? ({ kind: 'lookup-ok', keyId: walk.key, owner: step.owner, hops: step.hops } satisfies LookupReply)
            : ({ kind: 'lookup-failed', keyId: walk.key, reason: failureReason(walk.key, step) } satisfies LookupReply),
        );
        return;
      case 'route':
        if (step.kind !== 'done') {
          purpose.replyTo?.tell({ kind: 'route-failed', code: 'LOOKUP_FAILED', reason: failureReason(walk.key, step) } satisfies RouteReply);
        }
        return;
    }
  }

  private onDelivered(walkId: number, reply: DeliverReply | undefined): void {
    const pending = this.walks.get(walkId);
    if (pending === undefined || pending.purpose.kind !== 'route') return;
    const purpose = pending.purpose;
    if (reply === undefined) {
      // The owner did not answer: route around it (its predecessor then names the next live successor).
      this.advance(walkId, pending.walk.ownerUnreachable());
      return;
    }
    switch (reply.kind) {
      case 'delivered': {
        this.walks.delete(walkId);
        this.ctx.cancelTimer(`walk-${walkId}`);
        const done = this.lastDone(pending);
        purpose.replyTo?.tell({ kind: 'routed', owner: done.owner, hops: done.hops, reply: reply.reply } satisfies RouteReply);
        return;
      }
      case 'group-failed':
        this.walks.delete(walkId);
        this.ctx.cancelTimer(`walk-${walkId}`);
        purpose.replyTo?.tell({ kind: 'route-failed', code: 'GROUP_FAILED', reason: reply.reason } satisfies RouteReply);
        return;
      case 'not-owner':
      case 'not-serving':
        // The ring is changing under this request: look it up again shortly.
        if (purpose.attempt >= this.tuning.maxRouteAttempts) {
          this.walks.delete(walkId);
          this.ctx.cancelTimer(`walk-${walkId}`);
          purpose.replyTo?.tell({
            kind: 'route-failed',
            code: 'RING_CHANGING',
            reason: `the owner of ${formatRingId(pending.walk.key)} moved ${purpose.attempt} times in a row; retry later`,
          } satisfies RouteReply);
          return;
        }
        this.ctx.startTimer(`walk-${walkId}`, this.tuning.routeRetryMs, { kind: '$route-retry', walkId });
        return;
    }
  }

  private onVerified(walkId: number, reply: OwnsKeyReply | undefined): void {
    const pending = this.walks.get(walkId);
    if (pending === undefined || pending.purpose.kind !== 'lookup') return;
    const done = pending.walk.result();
    if (done?.kind !== 'done') return;
    if (reply === undefined) return this.advance(walkId, pending.walk.ownerUnreachable());
    if (reply.owns) return this.finishWalk(walkId, done);
    // Not the owner: the walk routed around a node that is alive, or a successor pointer on the way (maybe ours) is
    // stale. Refresh ours now and walk again, afresh, once stabilize had a moment.
    const purpose = pending.purpose;
    if (purpose.attempt < this.tuning.maxRouteAttempts) {
      if (!this.stabilizing) this.ctx.self.tell({ kind: '$stabilize' });
      this.ctx.startTimer(`walk-${walkId}`, this.tuning.routeRetryMs, { kind: '$route-retry', walkId });
      return;
    }
    this.walks.delete(walkId);
    this.ctx.cancelTimer(`walk-${walkId}`);
    purpose.replyTo?.tell({
      kind: 'lookup-failed',
      keyId: pending.walk.key,
      reason: `the owner of ${formatRingId(pending.walk.key)} could not be confirmed in ${purpose.attempt} walks; retry later`,
    } satisfies LookupReply);
  }

  private lastDone(pending: PendingWalk): { owner: PeerRef; hops: number } {
    const step = pending.walk.result();
    if (step?.kind === 'done') return { owner: step.owner, hops: step.hops };
    return { owner: this.me, hops: 0 };
  }

  /** Walks again for a route or lookup that met a ring change. */
  private retryRoute(walkId: number): void {
    const pending = this.walks.get(walkId);
    if (pending === undefined) return;
    const p = pending.purpose;
    if (p.kind === 'finger') return;
    this.walks.delete(walkId);
    this.startWalk(pending.walk.key, { ...p, attempt: p.attempt + 1 });
  }

  // ---- the owner side of routing ----------------------------------------------------

  private onDeliver(m: Deliver, replyTo: ActorRef<unknown> | undefined): void {
    if (this.state !== 'serving') {
      if (this.buffered.length < this.tuning.maxBufferedRequests) this.buffered.push({ deliver: m, replyTo });
      else replyTo?.tell({ kind: 'not-serving', state: this.state } satisfies DeliverReply);
      return;
    }
    if (!this.core.ownsKey(m.keyId)) {
      replyTo?.tell({ kind: 'not-owner' } satisfies DeliverReply);
      return;
    }
    const group = this.options.group;
    if (group === undefined) {
      replyTo?.tell({ kind: 'group-failed', reason: `gateway ${this.options.name} has no group configured` } satisfies DeliverReply);
      return;
    }
    const request: GroupRequest = { kind: 'global-request', keyId: m.keyId, keyBytes: m.keyBytes, payload: m.payload };
    group.ask(request, { timeoutMs: this.tuning.groupAskTimeoutMs }).then(
      (reply) => replyTo?.tell({ kind: 'delivered', reply } satisfies DeliverReply),
      (error: unknown) =>
        replyTo?.tell({ kind: 'group-failed', reason: error instanceof Error ? error.message : String(error) } satisfies DeliverReply),
    );
  }

  private flushBuffered(to: 'self' | PeerRef): void {
    const held = this.buffered;
    this.buffered = [];
    for (const b of held) {
      if (to === 'self') this.onDeliver(b.deliver, b.replyTo);
      else to.ref.tell(b.deliver, b.replyTo);
    }
  }

  // ---- join -------------------------------------------------------------------------

  private join(): void {
    if (this.state !== 'joining' || this.bootstraps.length === 0) return;
    const attempt = ++this.joinAttempt;
    // Rotate through the seeds: a retry goes to the next one.
    const bootstrap = this.bootstraps[(attempt - 1) % this.bootstraps.length]!;
    this.joinRedirects = 0;
    bootstrap
      // successor(id + 1), not successor(id): the same gateway (the smallest id above ours), but never this gateway itself,
      // which the ring may already list if its successor accepted it and the answer was lost.
      .ask<LookupReply>({ kind: 'lookup', keyId: addPowerOfTwo(this.id, 0), unconfirmed: true }, { timeoutMs: this.tuning.lookupTimeoutMs })
      .then(
        (reply) => this.ctx.self.tell({ kind: '$join-owner', attempt, reply }),
        () => this.ctx.self.tell({ kind: '$join-owner', attempt, reply: undefined }),
      );
  }

  private retryJoin(reason: string): void {
    this.ctx.log.log('debug', 'gateway: join retry', { gateway: this.options.name, reason });
    this.ctx.startTimer('join', this.tuning.joinRetryMs, { kind: '$join' });
  }

  private onJoinOwner(attempt: number, reply: LookupReply | undefined): void {
    if (attempt !== this.joinAttempt || this.state !== 'joining') return;
    if (reply === undefined || reply.kind !== 'lookup-ok') return this.retryJoin(reply?.reason ?? 'bootstrap did not answer');
    if (reply.owner.id === this.id) {
      if (reply.owner.ref.equals(this.ctx.self)) return this.retryJoin('bootstrap routed to the joiner itself (ring alone)');
      this.ctx.log.log('error', new DuplicateRingIdError(this.options.name, this.id).message);
      return;
    }
    this.sendJoinHandoff(attempt, reply.owner);
  }

  private sendJoinHandoff(attempt: number, target: PeerRef): void {
    this.askPeer<JoinHandoffReply>(target, { kind: 'join-handoff', joiner: this.me }, this.tuning.handshakeAskTimeoutMs, (reply) => ({
      kind: '$join-reply',
      attempt,
      target,
      reply,
    }));
  }

  private onJoinReply(attempt: number, target: PeerRef, reply: JoinHandoffReply | undefined): void {
    if (attempt !== this.joinAttempt || this.state !== 'joining') return;
    // Keep asking the same successor while it is alive (it may have accepted us and the answer been lost,
    // and routing to our id may already lead through us); look up afresh only once it is suspected.
    const poll = () => this.ctx.startTimer('join', this.tuning.joinRetryMs, { kind: '$join-poll', attempt, target });
    if (reply === undefined) {
      if (!this.missed('successor', target.id)) return poll();
      return this.retryJoin('successor did not answer the handoff');
    }
    this.misses.delete(`successor:${target.id}`);
    switch (reply.kind) {
      case 'join-busy':
        return poll();
      case 'join-duplicate':
        this.ctx.log.log('error', new DuplicateRingIdError(this.options.name, this.id).message);
        return;
      case 'join-redirect': {
        const hint = peerOrUndefined(reply.hint);
        if (hint === undefined || hint.id === this.id || ++this.joinRedirects > this.tuning.maxLookupSteps) {
          return this.retryJoin('redirected without a usable hint');
        }
        return this.sendJoinHandoff(attempt, hint);
      }
      case 'join-started':
        // JoinAccepted will come as a message; keep polling in case the successor dies meanwhile.
        return poll();
    }
  }

  /** Joiner side: the successor finished its release; (predecessor, self] is ours once our acquire hook is done. */
  private onJoinAccepted(m: JoinAccepted): void {
    m.successor.ref.tell({ kind: 'join-ack', joiner: this.me });
    if (this.state !== 'joining') return; // a re-send: the ack above is all it needs
    this.joinAttempt++; // answers to asks still in flight are stale now
    this.ctx.cancelTimer('join');
    const { successor, predecessor, successors } = m;
    this.learn(successor, predecessor, ...successors);
    this.core.joinVia(successor, successors, predecessor);
    this.state = 'acquiring';
    this.fireHook({
      kind: 'acquire',
      event: { kind: 'range-acquired', from: predecessor.id, to: this.id, previousOwner: successor, reason: 'joined' },
      then: 'serve',
    });
  }

  /** Successor side: the joiner got JoinAccepted. */
  private onJoinAck(joiner: PeerRef): void {
    if (this.pendingAccept?.joiner.id !== joiner.id) return;
    this.pendingAccept = undefined;
    this.ctx.cancelTimer('accept-resend');
  }

  private resendAccept(): void {
    const p = this.pendingAccept;
    if (p === undefined) return;
    // A joiner that never acks is dead; check_predecessor will notice and the range comes back.
    if (++p.resends > this.tuning.maxLookupSteps) {
      this.pendingAccept = undefined;
      return;
    }
    p.joiner.ref.tell(p.accepted);
    this.ctx.startTimer('accept-resend', this.tuning.joinRetryMs, { kind: '$accept-resend' });
  }

  /** Successor side: a joiner in (predecessor, self) asks for its range. */
  private onJoinHandoff(joiner: PeerRef, replyTo: ActorRef<unknown> | undefined): void {
    const answer = (r: JoinHandoffReply) => replyTo?.tell(r);
    if (joiner.id === this.id) return answer({ kind: 'join-duplicate' });
    if (this.pendingAccept !== undefined) {
      if (this.pendingAccept.joiner.id !== joiner.id) return answer({ kind: 'join-busy', reason: 'the last joiner has not acknowledged yet' });
      joiner.ref.tell(this.pendingAccept.accepted);
      return answer({ kind: 'join-started' });
    }
    if (this.joinHandoff !== undefined) {
      // A repeat of the handshake running now: JoinAccepted will follow.
      if (this.joinHandoff.joiner.id === joiner.id) return answer({ kind: 'join-started' });
      return answer({ kind: 'join-busy', reason: 'another gateway is joining here' });
    }
    // One range handshake at a time: a join racing a leave here would hand out a range computed from a stale predecessor.
    if (this.leaveHandoff !== undefined) return answer({ kind: 'join-busy', reason: 'the predecessor is leaving through this gateway' });
    if (this.recoveries > 0) return answer({ kind: 'join-busy', reason: 'recovering a failed predecessor\'s range' });
    const pred0 = this.core.predecessor;
    if (pred0 !== undefined && pred0.id === joiner.id && !pred0.ref.equals(joiner.ref)) return answer({ kind: 'join-duplicate' });
    if (this.state !== 'serving') return answer({ kind: 'join-busy', reason: `successor is ${this.state}` });
    const pred = this.core.predecessor;
    let from: PeerRef;
    if (this.core.isAlone) from = this.me;
    else if (pred === undefined) return answer({ kind: 'join-busy', reason: 'successor does not know its predecessor yet' });
    else if (!between(pred.id, joiner.id, this.id, '()')) {
      const hop = this.core.nextHop(joiner.id);
      return answer({ kind: 'join-redirect', hint: hop.kind === 'owner' && hop.owner.id !== this.id ? hop.owner : pred });
    } else from = pred;
    this.departed.delete(joiner.id); // it left before and rejoins through the handshake: welcome back
    this.joinHandoff = { joiner, from };
    answer({ kind: 'join-started' });
    this.fireHook({
      kind: 'release',
      event: { kind: 'range-released', from: from.id, to: joiner.id, newOwner: joiner, reason: 'predecessor-joined' },
      then: 'give-to-joiner',
    });
  }

  /** This gateway's successor list, as the joiner will put it after this gateway in its own. */
  private successorsFor(joiner: PeerRef): PeerRef[] {
    return this.core.successors.entries().filter((p) => p.id !== joiner.id);
  }

  // ---- leave --------------------------------------------------------------------------

  private onLeave(replyTo: ActorRef<unknown> | undefined): void {
    if (this.state !== 'serving') {
      replyTo?.tell({ kind: 'leave-failed', reason: `gateway is ${this.state}` } satisfies LeaveReply);
      return;
    }
    if (this.joinHandoff !== undefined || this.pendingAccept !== undefined || this.leaveHandoff !== undefined || this.recoveries > 0) {
      // Its range is changing hands right now; leaving too would hand over a range computed before that change.
      replyTo?.tell({ kind: 'leave-failed', reason: 'a neighbour is joining or leaving through this gateway, or a failed one\'s range is being recovered; retry shortly' } satisfies LeaveReply);
      return;
    }
    if (this.core.successors.isEmpty()) {
      if (this.acquaintances.size > 0) {
        // Cut off from a ring it was part of: leaving now would drop its range (and its group's keys) on the floor.
        replyTo?.tell({ kind: 'leave-failed', reason: 'isolated from the ring (no live successor); retry once the ring check reconnects it' } satisfies LeaveReply);
        return;
      }
      this.finishLeave(replyTo, undefined);
      return;
    }
    const predecessor = this.core.predecessor;
    if (predecessor === undefined) {
      replyTo?.tell({ kind: 'leave-failed', reason: 'predecessor unknown (a neighbour just failed); retry after stabilization' } satisfies LeaveReply);
      return;
    }
    this.state = 'leaving';
    this.leaving = { replyTo, predecessor, successor: this.core.successor };
    this.releaseToSuccessor();
  }

  private releaseToSuccessor(): void {
    const l = this.leaving!;
    this.fireHook({
      kind: 'release',
      event: { kind: 'range-released', from: l.predecessor.id, to: this.id, newOwner: l.successor, reason: 'left' },
      then: 'hand-to-successor',
    });
  }

  private sendLeaveHandoff(): void {
    const l = this.leaving;
    if (l === undefined || this.state !== 'leaving') return;
    const successor = l.successor;
    this.askPeer<LeaveHandoffReply>(
      successor,
      { kind: 'leave-handoff', leaving: this.me, predecessor: l.predecessor },
      this.tuning.handshakeAskTimeoutMs,
      (reply) => ({ kind: '$leave-reply', successor, reply }),
    );
  }

  private onLeaveReply(successor: PeerRef, reply: LeaveHandoffReply | undefined): void {
    const l = this.leaving;
    if (l === undefined || this.state !== 'leaving' || l.successor.id !== successor.id) return;
    if (reply === undefined) {
      if (!this.missed('successor', successor.id)) {
        this.ctx.startTimer('leave-handoff', this.tuning.joinRetryMs, { kind: '$leave-handoff' });
        return;
      }
      // The successor died mid-handoff: hand the range to the next one instead.
      this.core.peerFailed(successor.id);
      if (this.core.successors.isEmpty()) return this.abortLeave('every successor failed during the handoff');
      l.successor = this.core.successor;
      return this.releaseToSuccessor();
    }
    this.misses.delete(`successor:${successor.id}`);
    if (reply.kind === 'leave-refused') return this.abortLeave(reply.reason);
    if (reply.kind === 'leave-busy') {
      // The range has been released already; only the successor's side has to wait its turn.
      this.ctx.startTimer('leave-handoff', this.tuning.joinRetryMs, { kind: '$leave-handoff' });
      return;
    }
    l.predecessor.ref.tell({ kind: 'successor-leaving', leaving: this.me, successors: [...this.core.successors.entries()] });
    this.finishLeave(l.replyTo, l.successor);
  }

  private abortLeave(reason: string): void {
    const l = this.leaving;
    this.leaving = undefined;
    this.state = 'serving';
    this.flushBuffered('self');
    l?.replyTo?.tell({ kind: 'leave-failed', reason } satisfies LeaveReply);
  }

  private finishLeave(replyTo: ActorRef<unknown> | undefined, successor: PeerRef | undefined): void {
    this.state = 'left';
    this.leaving = undefined;
    for (const key of ['stabilize', 'fix-fingers', 'check-predecessor', 'check-ring', 'join', 'leave-handoff', 'accept-resend']) this.ctx.cancelTimer(key);
    for (const id of this.walks.keys()) this.ctx.cancelTimer(`walk-${id}`);
    this.walks.clear();
    if (successor !== undefined) this.flushBuffered(successor);
    this.emitChanged('left');
    this.ctx.log.log('info', 'gateway: left the ring', { gateway: this.options.name, successor: successor && formatRingId(successor.id) });
    replyTo?.tell({ kind: 'left', successor } satisfies LeaveReply);
    this.ctx.stop(this.ctx.self);
  }

  /** Successor side of a graceful leave. */
  private onLeaveHandoff(leaving: PeerRef, predecessor: PeerRef, replyTo: ActorRef<unknown> | undefined): void {
    const answer = (r: LeaveHandoffReply) => replyTo?.tell(r);
    if (this.leaveHandoff !== undefined) {
      if (this.leaveHandoff.leaving.id === leaving.id) return answer({ kind: 'leave-busy', reason: 'handoff in progress' });
      return answer({ kind: 'leave-busy', reason: 'another neighbour is leaving through this gateway' });
    }
    if (this.joinHandoff !== undefined || this.pendingAccept !== undefined) {
      return answer({ kind: 'leave-busy', reason: 'a gateway is joining through this gateway' });
    }
    // Done already, and the answer was lost: the leaver is asking again.
    if (this.isDeparted(leaving.id)) return answer({ kind: 'leave-accepted' });
    if (this.state !== 'serving') return answer({ kind: 'leave-refused', reason: `successor is ${this.state}` });
    const pred = this.core.predecessor;
    if (pred !== undefined && pred.id !== leaving.id && !between(pred.id, leaving.id, this.id, '()')) {
      return answer({ kind: 'leave-refused', reason: 'the leaving gateway is not this gateway\'s predecessor' });
    }
    this.leaveHandoff = { leaving, predecessor, replyTo };
    this.fireHook({
      kind: 'acquire',
      event: { kind: 'range-acquired', from: predecessor.id, to: leaving.id, previousOwner: leaving, reason: 'predecessor-left' },
      then: 'take-leaver-range',
    });
  }

  private onSuccessorLeaving(leaving: PeerRef, successors: PeerRef[]): void {
    this.acquaintances.delete(leaving.id);
    this.rememberDeparted(leaving.id);
    const wasSuccessor = this.core.successor.id === leaving.id;
    this.core.peerFailed(leaving.id);
    const rest = successors.filter((p) => p.id !== leaving.id);
    if (wasSuccessor && rest.length > 0) {
      this.core.successors.reconcile(rest[0]!, rest.slice(1));
      this.core.fingers.set(0, this.core.successor);
      this.core.successor.ref.tell({ kind: 'notify', peer: this.me });
    }
  }

  // ---- range hooks ------------------------------------------------------------------

  private fireHook(hook: PendingHook): void {
    this.runHook(hook);
  }

  private runHook(hook: PendingHook): void {
    const listener = this.options.listener;
    const self = this.ctx.self;
    const call = (): void | Promise<void> => {
      if (hook.kind === 'acquire') return listener?.acquire?.(hook.event);
      return listener?.release?.(hook.event);
    };
    const seq = ++this.hookSeq;
    Promise.resolve()
      .then(call)
      .then(
        () => self.tell({ kind: '$hook-done', hook }),
        (error: unknown) => {
          this.ctx.log.log('warn', 'gateway: range hook failed; retrying', {
            gateway: this.options.name,
            hook: hook.kind,
            reason: hook.event.reason,
            error: error instanceof Error ? error.message : String(error),
          });
          this.ctx.startTimer(`hook-${seq}`, this.tuning.hookRetryMs, { kind: '$hook', hook });
        },
      );
  }

  private onHookDone(hook: PendingHook): void {
    if (hook.kind === 'acquire' && hook.then === 'recovered') {
      this.recoveries--;
      return;
    }
    if (hook.kind === 'acquire') {
      if (hook.then === 'serve' && hook.event.reason === 'joined' && this.state === 'acquiring') {
        this.state = 'serving';
        this.emitChanged('joined');
        this.ctx.log.log('info', 'gateway: joined the ring', { gateway: this.options.name, id: formatRingId(this.id) });
        this.core.successor.ref.tell({ kind: 'notify', peer: this.me });
        this.ctx.self.tell({ kind: '$fix-fingers' });
        this.flushBuffered('self');
      } else if (hook.then === 'take-leaver-range') {
        const h = this.leaveHandoff;
        if (h === undefined) return;
        this.leaveHandoff = undefined;
        const failed = this.failedPredecessor;
        if (this.core.predecessor === undefined && failed !== undefined && failed.id !== h.leaving.id && between(h.leaving.id, failed.id, this.id, '()')) {
          // The leaver's successor failed before this gateway took over: that gateway's range (leaver, failed] is ours too now.
          this.recover({ from: h.leaving.id, to: failed.id, previousOwner: failed });
        }
        this.failedPredecessor = undefined;
        this.core.peerFailed(h.leaving.id);
        this.acquaintances.delete(h.leaving.id);
        this.rememberDeparted(h.leaving.id);
        this.core.setPredecessor(h.predecessor.id === this.id ? undefined : h.predecessor);
        if (this.core.successors.isEmpty() && this.core.predecessor !== undefined) this.core.adoptPredecessorAsSuccessor();
        this.emitChanged('predecessor-left');
        h.replyTo?.tell({ kind: 'leave-accepted' } satisfies LeaveHandoffReply);
      }
      return;
    }
    if (hook.then === 'announce') {
      this.emitChanged('predecessor-changed');
      return;
    }
    if (hook.then === 'give-to-joiner') {
      const h = this.joinHandoff;
      if (h === undefined) return;
      this.joinHandoff = undefined;
      const wasAlone = this.core.isAlone;
      this.core.setPredecessor(h.joiner);
      if (wasAlone) this.core.adoptPredecessorAsSuccessor();
      this.emitChanged('predecessor-joined');
      const accepted: JoinAccepted = { kind: 'join-accepted', successor: this.me, predecessor: h.from, successors: this.successorsFor(h.joiner) };
      this.pendingAccept = { accepted, joiner: h.joiner, resends: 0 };
      h.joiner.ref.tell(accepted);
      this.ctx.startTimer('accept-resend', this.tuning.joinRetryMs, { kind: '$accept-resend' });
    } else if (hook.then === 'hand-to-successor' && hook.event.reason === 'left' && this.leaving !== undefined) {
      if (hook.event.newOwner.id !== this.leaving.successor.id) return; // superseded: the successor changed and a new release runs
      this.sendLeaveHandoff();
    }
  }

  private emitChanged(reason: RangeChangeReason): void {
    const changed = this.options.listener?.changed;
    if (changed === undefined) return;
    const pred = this.core.predecessor;
    let range: RingRange | undefined;
    if (this.state === 'left') range = undefined;
    else if (pred !== undefined) range = { from: pred.id, to: this.id };
    else if (this.core.isAlone) range = { from: this.id, to: this.id };
    try {
      changed({ kind: 'range-changed', gateway: this.me, range, reason });
    } catch (error) {
      this.ctx.log.log('warn', 'gateway: range listener threw', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  // ---- helpers ----------------------------------------------------------------------

  /** Asks a peer; the answer (undefined on timeout or failure) comes back as a message to self. */
  private askPeer<T>(peer: PeerRef, message: GatewayMessage, timeoutMs: number, result: (reply: T | undefined) => Internal): void {
    const self = this.ctx.self;
    peer.ref.ask<T>(message, { timeoutMs }).then(
      (reply) => self.tell(result(reply)),
      () => self.tell(result(undefined)),
    );
  }
}

function failureReason(key: RingId, step: WalkStep<unknown>): string {
  return step.kind === 'failed' ? new LookupFailedError(key, step.reason).message : 'lookup did not finish';
}
