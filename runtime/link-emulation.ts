// Link emulation: latency, jitter, a bandwidth cap, loss and partitions on the
// real transports, per directed link, done by the runtime itself (this machine
// has no tc/netem). `LinkSchedule` is the pure core for one directed link (no
// clock, no envelopes: the workload driver uses it for client↔node links too);
// `LinkEmulator` applies one per peer to a Router's outgoing envelopes, on the
// system's clock and random source.
import type { ActorSystem, RemoteEnvelope } from './actor-system.js';
import type { TimerHandle } from './clock.js';
import { InvalidArgumentError } from './errors.js';
import { EnvelopeBatch, type Link, type LinkShaper, type Router } from './router.js';

/** How one directed link behaves. Every property is optional; unset or 0 (false) has no effect. */
export interface LinkShape {
  /** One-way delay added to every message, in ms. */
  latencyMs?: number;
  /** Extra delay drawn uniformly from [0, jitterMs) per message, in ms (order is still kept). */
  jitterMs?: number;
  /** Transmission rate in Mbit/s: messages are serialized one after another, `bytes·8 / (Mbps·10⁶)` s each. */
  bandwidthMbps?: number;
  /** Probability in [0, 1] that a message is lost. */
  loss?: number;
  /** The link is cut: every message is lost. */
  blocked?: boolean;
}

export type LinkDropReason = 'loss' | 'blocked';

/** What happens to one message: delivered at a time on the caller's clock, or lost. */
export type LinkAdmission = { deliverAtMs: number } | { dropped: LinkDropReason };

/** A link shape (or peer name) that cannot be used; `field` names what is wrong. Nothing was changed. */
export class InvalidLinkShapeError extends InvalidArgumentError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const shapeFields = new Set(['latencyMs', 'jitterMs', 'bandwidthMbps', 'loss', 'blocked']);

/**
 * Checks a link shape and returns a copy holding only the properties that have
 * an effect. Throws InvalidLinkShapeError naming the field for unknown fields,
 * non-numbers, NaN, infinities, negatives and a loss outside [0, 1].
 */
export function checkLinkShape(shape: unknown, where = 'link shape'): LinkShape {
  if (typeof shape !== 'object' || shape === null || Array.isArray(shape)) {
    throw new InvalidLinkShapeError('(shape)', `${where}: must be an object like { latencyMs, jitterMs, bandwidthMbps, loss, blocked }`);
  }
  const given = shape as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!shapeFields.has(key)) {
      throw new InvalidLinkShapeError(key, `${where}: unknown field ${key} (known: ${[...shapeFields].join(', ')})`);
    }
  }
  const out: LinkShape = {};
  for (const field of ['latencyMs', 'jitterMs', 'bandwidthMbps', 'loss'] as const) {
    const value = given[field];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidLinkShapeError(field, `${where}: ${field} must be a finite number >= 0, got ${String(value)}`);
    }
    if (field === 'loss' && value > 1) {
      throw new InvalidLinkShapeError(field, `${where}: loss is a probability in [0, 1], got ${value}`);
    }
    if (value > 0) out[field] = value;
  }
  const blocked = given.blocked;
  if (blocked !== undefined && typeof blocked !== 'boolean') {
    throw new InvalidLinkShapeError('blocked', `${where}: blocked must be true or false, got ${String(blocked)}`);
  }
  if (blocked === true) out.blocked = true;
  return out;
}

/**
 * One directed link's schedule: decides, per message, when it arrives or that
 * it is lost. Pure: the caller passes the time and the random source, so a
 * fake clock and a seeded PRNG replay it exactly.
 *
 * Per message, in this order: blocked → lost; loss → lost with probability
 * `loss` (one draw; a lost message takes no bandwidth); bandwidth → its
 * transmission starts when the previous message's ends (or now) and takes
 * `bytes·8/(Mbps·10⁶)` s; then latency plus a uniform jitter in [0, jitterMs)
 * (one draw). Finally it never arrives before the message admitted before it:
 * delivery order is send order, as over TCP, so jitter delays messages rather
 * than reordering them. `set` applies to messages admitted afterwards; the
 * link's backlog and order carry over.
 */
export class LinkSchedule {
  private latencyMs = 0;
  private jitterMs = 0;
  private bandwidthMbps = 0;
  private loss = 0;
  private blocked = false;
  /** When the transmission of the last admitted message ends. */
  private txFreeAtMs = -Infinity;
  /** When the last admitted message arrives. */
  private lastDeliverAtMs = -Infinity;

  constructor(shape: LinkShape = {}) {
    this.set(shape);
  }

  /** Replaces the shape (validated first: on error nothing changes). */
  set(shape: LinkShape): void {
    const checked = checkLinkShape(shape);
    this.latencyMs = checked.latencyMs ?? 0;
    this.jitterMs = checked.jitterMs ?? 0;
    this.bandwidthMbps = checked.bandwidthMbps ?? 0;
    this.loss = checked.loss ?? 0;
    this.blocked = checked.blocked ?? false;
  }

  /** The current shape, only the properties that have an effect. */
  get shape(): LinkShape {
    const out: LinkShape = {};
    if (this.latencyMs > 0) out.latencyMs = this.latencyMs;
    if (this.jitterMs > 0) out.jitterMs = this.jitterMs;
    if (this.bandwidthMbps > 0) out.bandwidthMbps = this.bandwidthMbps;
    if (this.loss > 0) out.loss = this.loss;
    if (this.blocked) out.blocked = true;
    return out;
  }

  /** True when some property has an effect. */
  get isShaped(): boolean {
    return this.latencyMs > 0 || this.jitterMs > 0 || this.bandwidthMbps > 0 || this.loss > 0 || this.blocked;
  }

  /** True when `admit` uses `bytes` (a bandwidth cap is set); otherwise pass 0 and skip measuring. */
  get needsBytes(): boolean {
    return this.bandwidthMbps > 0;
  }

  /**
   * Decides the fate of one message of `bytes` bytes sent at `nowMs`. `rand`
   * returns floats in [0, 1); it is called once for loss (when loss > 0) and
   * once for jitter (when jitter > 0 and the message is not lost).
   */
  admit(nowMs: number, bytes: number, rand: () => number): LinkAdmission {
    if (this.blocked) return { dropped: 'blocked' };
    if (this.loss > 0 && rand() < this.loss) return { dropped: 'loss' };
    let sentAtMs = nowMs;
    if (this.bandwidthMbps > 0) {
      if (!(bytes >= 0)) throw new InvalidArgumentError(`link schedule: bytes must be >= 0, got ${bytes}`);
      const start = this.txFreeAtMs > nowMs ? this.txFreeAtMs : nowMs;
      // bytes·8 bits / (Mbps·10⁶ bit/s) s = bytes·8 / (Mbps·10³) ms
      sentAtMs = start + (bytes * 8) / (this.bandwidthMbps * 1000);
      this.txFreeAtMs = sentAtMs;
    }
    let deliverAtMs = sentAtMs + this.latencyMs;
    if (this.jitterMs > 0) deliverAtMs += rand() * this.jitterMs;
    if (deliverAtMs < this.lastDeliverAtMs) deliverAtMs = this.lastDeliverAtMs;
    this.lastDeliverAtMs = deliverAtMs;
    return { deliverAtMs };
  }

  /** How long a message admitted at `nowMs` would wait for earlier ones' transmission (the bandwidth queue), in ms. */
  backlogMs(nowMs: number): number {
    return this.txFreeAtMs > nowMs ? this.txFreeAtMs - nowMs : 0;
  }
}

// ---- the emulator on a Router ---------------------------------------------------

export interface LinkEmulatorOptions {
  /** Shapes to start with: peer system name → shape. */
  shapes?: Record<string, LinkShape | undefined>;
  /**
   * A held message whose due time is within this many ms of now is handed to
   * its link at once instead of waiting for a timer (Node's timers have 1 ms
   * granularity). Default 0.5; 0 for a simulated clock, whose timers are exact.
   */
  immediateWithinMs?: number;
}

/** Counters for one peer since the emulator was created (or `resetStats`). */
export interface LinkPeerStats {
  /** The shape in force now (`{}` when none). */
  shape: LinkShape;
  /** Envelopes for this peer that met a shape or a backlog (unshaped, idle peers are not counted: that path costs nothing). */
  sent: number;
  /** Handed to the link (at once or when due) and accepted by it. */
  delivered: number;
  /** Lost on purpose: `loss` draws and `blocked`. Not dead letters: the sender sees nothing, an ask times out. */
  dropped: Record<LinkDropReason, number>;
  /** The link (or the route) was gone when the envelope came due: dead-lettered as `unreachable`, its ask failed. */
  refused: number;
  /** Held when the emulator was closed. */
  discarded: number;
  /** Encoded bytes of the envelopes admitted while a bandwidth cap was set (sizes are only measured then). */
  bytes: number;
  /** Envelopes held now. */
  queued: number;
  /** How long a message sent now waits behind earlier ones' transmission (the bandwidth queue), in ms. */
  queueDelayMs: number;
  /** How long until the last held envelope is due, in ms (0 when none is held). */
  heldForMs: number;
}

interface Held {
  envelope: RemoteEnvelope;
  atMs: number;
}

/** The counting part of a peer's stats. */
type Counters = Pick<LinkPeerStats, 'sent' | 'delivered' | 'dropped' | 'refused' | 'discarded' | 'bytes'>;

class Peer {
  readonly schedule: LinkSchedule;
  queue: Held[] = [];
  head = 0;
  timer: TimerHandle | undefined;

  constructor(
    readonly name: string,
    shape: LinkShape,
    readonly counters: Counters,
  ) {
    this.schedule = new LinkSchedule(shape);
  }

  get held(): number {
    return this.queue.length - this.head;
  }
}

/** The peer whose link carries traffic for `systemName`: its top-level name (`n2.w1` goes through `n2`). */
export function linkPeerOf(systemName: string): string {
  const dot = systemName.indexOf('.');
  return dot < 0 ? systemName : systemName.slice(0, dot);
}

/** The emulator of each router (one each). */
const emulators = new WeakMap<Router, LinkEmulator>();

const askPrefix = '$ask/'; // as in actor-system.ts: the path of an ask's temporary reply address

/**
 * Shapes what a Router sends, per peer: the directed link from this actor
 * system to peer system `name` (and everything below it: `n2.w1` goes through
 * `n2`). Create it on the router of the host that owns the links to other
 * hosts — `new LinkEmulator(router, { shapes })` attaches itself — and change
 * shapes with `set`/`setMany`/`clear` at any time. Traffic to this system's
 * own workers is never shaped. Uses the system's clock and random source only.
 *
 * - An unshaped peer with nothing held goes straight to its link (one map
 *   lookup). While no peer is shaped or holds anything the emulator is not
 *   hooked into the router at all, so `Router.send` is exactly as without it.
 *   A router takes one emulator.
 * - A held envelope is sent on the route in force when it comes due; if there
 *   is none, or the link refuses it, it is dead-lettered as `unreachable` and
 *   its ask fails with UNREACHABLE, as an unroutable send would (`refused`).
 * - Lost (`loss`, `blocked`) envelopes vanish as on a network: `Router.send`
 *   reports success, nothing is dead-lettered, an ask times out. They are
 *   counted in `stats()`.
 * - One timer per peer, for the head of its queue.
 */
export class LinkEmulator implements LinkShaper {
  private readonly system: ActorSystem;
  private readonly peers = new Map<string, Peer>();
  private readonly counters = new Map<string, Counters>();
  private readonly immediateWithinMs: number;
  private readonly ownPeer: string;
  private readonly rand: () => number;
  private closed = false;

  constructor(
    private readonly router: Router,
    options: LinkEmulatorOptions = {},
  ) {
    const within = options.immediateWithinMs ?? 0.5;
    if (!(within >= 0) || !Number.isFinite(within)) {
      throw new InvalidLinkShapeError('immediateWithinMs', `link emulator: immediateWithinMs must be a finite number >= 0, got ${within}`);
    }
    if (emulators.has(router)) throw new InvalidArgumentError('this router already has a link emulator (close it first)');
    emulators.set(router, this);
    this.immediateWithinMs = within;
    this.system = router.system;
    this.ownPeer = linkPeerOf(this.system.name);
    const random = this.system.random;
    this.rand = () => random.next();
    if (options.shapes !== undefined) this.setMany(options.shapes);
    this.hook();
  }

  /** Sets (or, with undefined or an all-zero shape, removes) the shape of the link to `peer`. Messages already held keep their schedule. */
  set(peer: string, shape: LinkShape | undefined): void {
    this.setMany({ [peer]: shape });
  }

  /** Sets several links at once; all are validated before any changes. Peers not named keep their shape. */
  setMany(shapes: Record<string, LinkShape | undefined>): void {
    const checked: [string, LinkShape][] = [];
    for (const [peer, shape] of Object.entries(shapes)) {
      this.checkPeer(peer);
      checked.push([peer, shape === undefined ? {} : checkLinkShape(shape, `link shape for ${peer}`)]);
    }
    if (this.closed) throw new InvalidArgumentError('link emulator is closed');
    for (const [name, shape] of checked) {
      const peer = this.peers.get(name);
      if (peer !== undefined) {
        peer.schedule.set(shape);
        this.forgetIfIdle(peer);
      } else if (Object.keys(shape).length > 0) {
        this.peers.set(name, new Peer(name, shape, this.countersFor(name)));
      }
    }
    this.hook();
  }

  /** Removes every shape (held messages are still delivered on their schedule). */
  clear(): void {
    for (const peer of [...this.peers.values()]) {
      peer.schedule.set({});
      this.forgetIfIdle(peer);
    }
    this.hook();
  }

  /** The shape of the link to `peer` (`{}` when none). */
  get(peer: string): LinkShape {
    return this.peers.get(peer)?.schedule.shape ?? {};
  }

  /** Every shaped link: peer → shape. */
  shapes(): Record<string, LinkShape> {
    const out: Record<string, LinkShape> = {};
    for (const [name, peer] of this.peers) if (peer.schedule.isShaped) out[name] = peer.schedule.shape;
    return out;
  }

  /** Counters per peer that has been shaped since the start (or the last `resetStats`). */
  stats(): Record<string, LinkPeerStats> {
    const now = this.system.clock.now();
    const out: Record<string, LinkPeerStats> = {};
    for (const [name, c] of this.counters) {
      const peer = this.peers.get(name);
      const last = peer !== undefined && peer.held > 0 ? peer.queue[peer.queue.length - 1]!.atMs : now;
      out[name] = {
        shape: peer?.schedule.shape ?? {},
        sent: c.sent,
        delivered: c.delivered,
        dropped: { ...c.dropped },
        refused: c.refused,
        discarded: c.discarded,
        bytes: c.bytes,
        queued: peer?.held ?? 0,
        queueDelayMs: peer?.schedule.backlogMs(now) ?? 0,
        heldForMs: Math.max(0, last - now),
      };
    }
    return out;
  }

  resetStats(): void {
    for (const c of this.counters.values()) {
      c.sent = c.delivered = c.refused = c.discarded = c.bytes = 0;
      c.dropped.loss = c.dropped.blocked = 0;
    }
  }

  /**
   * Detaches from the router, stops every timer and drops what is held (as a
   * host that exits loses what was on the wire). `Router.close` calls it.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (emulators.get(this.router) === this) emulators.delete(this.router);
    if (this.router.currentShaper === this) this.router.setShaper(undefined);
    for (const peer of this.peers.values()) {
      if (peer.timer !== undefined) this.system.clock.clearTimeout(peer.timer);
      peer.timer = undefined;
      peer.counters.discarded += peer.held;
      peer.queue = [];
      peer.head = 0;
    }
    this.peers.clear();
  }

  /** The Router hook: every envelope with a route passes here (see LinkShaper). */
  send(envelope: RemoteEnvelope, link: Link): boolean {
    if (this.peers.size === 0) return link.send(envelope);
    const peer = this.peers.get(linkPeerOf(envelope.to.system));
    if (peer === undefined) return link.send(envelope);
    const c = peer.counters;
    c.sent++;
    const now = this.system.clock.now();
    let bytes = 0;
    if (peer.schedule.needsBytes) {
      bytes = encodedSize(envelope);
      c.bytes += bytes;
    }
    const fate = peer.schedule.admit(now, bytes, this.rand);
    if ('dropped' in fate) {
      c.dropped[fate.dropped]++;
      return true;
    }
    if (peer.held === 0 && fate.deliverAtMs <= now + this.immediateWithinMs) {
      // Due now and nothing ahead of it: the link takes it as if unshaped, and a
      // refusal is the system's to handle (dead letter, ask failed at once).
      const ok = link.send(envelope);
      if (ok) c.delivered++;
      else c.refused++;
      return ok;
    }
    peer.queue.push({ envelope, atMs: fate.deliverAtMs });
    if (peer.timer === undefined) this.arm(peer, now);
    return true;
  }

  private arm(peer: Peer, now: number): void {
    // (a refusal's failure envelope, sent from inside flush, may have armed it already)
    if (peer.timer !== undefined) return;
    const head = peer.queue[peer.head]!;
    peer.timer = this.system.clock.setTimeout(() => this.flush(peer), head.atMs - now);
  }

  /** The head of `peer`'s queue is due: sends everything that is, then waits for the next. */
  private flush(peer: Peer): void {
    peer.timer = undefined;
    if (this.closed) return;
    const due = this.system.clock.now() + this.immediateWithinMs;
    while (peer.head < peer.queue.length) {
      const held = peer.queue[peer.head]!;
      if (held.atMs > due) break;
      peer.queue[peer.head++] = undefined as unknown as Held; // let it be collected
      this.deliver(peer, held.envelope);
    }
    if (peer.head === peer.queue.length) {
      peer.queue = [];
      peer.head = 0;
      if (peer.timer !== undefined) {
        this.system.clock.clearTimeout(peer.timer);
        peer.timer = undefined;
      }
      this.forgetIfIdle(peer);
    } else {
      if (peer.head > 1024 && peer.head * 2 > peer.queue.length) {
        peer.queue = peer.queue.slice(peer.head);
        peer.head = 0;
      }
      this.arm(peer, this.system.clock.now());
    }
  }

  private deliver(peer: Peer, envelope: RemoteEnvelope): void {
    // The route in force now: a link may have been replaced (reconnect) or removed meanwhile.
    const link = this.router.routeFor(envelope.to.system);
    let ok = false;
    if (link !== undefined) {
      try {
        ok = link.send(envelope);
      } catch (error) {
        this.system.log.log('error', 'emulated link: the link threw on a held envelope', { link: link.description, error: String(error) });
      }
    }
    if (ok) {
      peer.counters.delivered++;
      return;
    }
    peer.counters.refused++;
    this.refuse(envelope);
  }

  /** As ActorSystem does for an unroutable send: dead letter `unreachable`, and the asker learns at once. */
  private refuse(envelope: RemoteEnvelope): void {
    const { to, sender, message, failure } = envelope;
    const system = this.system;
    if (failure !== undefined) {
      // A failure on its way back to an asker: as the Router does for a relayed one.
      system.deadLetters.publish({ to, sender, message: failure, reason: 'unreachable' });
      return;
    }
    system.deadLetters.publish({ to, sender, message, reason: 'unreachable' });
    if (sender === undefined || !sender.path.startsWith(askPrefix)) return;
    const back: RemoteEnvelope = {
      to: sender,
      sender: to,
      message: undefined,
      failure: { code: 'UNREACHABLE', message: `no route to actor system ${to.system} (when the emulated link delivered it)` },
    };
    if (sender.system === system.name) system.receiveRemote(back);
    else this.router.send(back);
  }

  private forgetIfIdle(peer: Peer): void {
    if (!peer.schedule.isShaped && peer.held === 0 && peer.timer === undefined) {
      this.peers.delete(peer.name);
      if (this.peers.size === 0) this.hook();
    }
  }

  /**
   * Sits between the router and its links only while some peer is shaped or
   * holds messages: with nothing to do, `Router.send` keeps its plain path.
   */
  private hook(): void {
    if (this.closed) return;
    const current = this.router.currentShaper;
    if (this.peers.size > 0) {
      if (current !== this) this.router.setShaper(this);
    } else if (current === this) {
      this.router.setShaper(undefined);
    }
  }

  private countersFor(name: string): Counters {
    let c = this.counters.get(name);
    if (c === undefined) {
      c = { sent: 0, delivered: 0, dropped: { loss: 0, blocked: 0 }, refused: 0, discarded: 0, bytes: 0 };
      this.counters.set(name, c);
    }
    return c;
  }

  private checkPeer(peer: string): void {
    if (typeof peer !== 'string' || peer === '' || peer.includes('.')) {
      throw new InvalidLinkShapeError('peer', `link emulator: a peer is a top-level actor system name (traffic for n2.w1 goes through n2's link), got ${JSON.stringify(peer)}`);
    }
    if (peer === this.ownPeer) {
      throw new InvalidLinkShapeError('peer', `link emulator: ${peer} is this host; its own threads' traffic is not shaped`);
    }
  }
}

/** The envelope's size on the wire, as the only record of a batch (what a bandwidth cap charges). */
function encodedSize(envelope: RemoteEnvelope): number {
  const batch = new EnvelopeBatch();
  batch.push(envelope);
  try {
    return batch.take().length;
  } catch {
    return 0; // not encodable: the link will fail it when it flushes; it takes no bandwidth here
  }
}
