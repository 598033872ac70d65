import type { ActorSystem, RemoteEnvelope, RemoteRouter } from './actor-system.js';
import type { Address } from './address.js';
import { decode, encode } from './codec.js';
import { CorruptionError, MailboxFullError } from './errors.js';

/**
 * One connection to another actor system (a MessagePort, a TCP socket, ...).
 * `send` returns false when the link cannot take the envelope (closed, or its
 * bounded reconnect queue is full); the system then dead-letters it and fails
 * the sender's ask at once instead of letting it time out.
 */
export interface Link {
  /** For logs: what the link connects to. */
  readonly description: string;
  send(envelope: RemoteEnvelope): boolean;
  close(): void;
}

/**
 * Something that sits between `Router.send` and the link (link emulation,
 * `link-emulation.ts`). `send` gets every envelope that has a route, with the
 * link it would take, and returns what `Router.send` returns: false makes the
 * system dead-letter the envelope and fail its ask at once, true means taken
 * (sent, held for later, or lost on purpose).
 */
export interface LinkShaper {
  send(envelope: RemoteEnvelope, link: Link): boolean;
  /** The router is closing: drop whatever is held and stop every timer. */
  close(): void;
}

export interface RouterStats {
  /** Envelopes that arrived for another system and were passed on (a relay hop). */
  forwarded: number;
  /** Envelopes delivered to this router's own system. */
  delivered: number;
  routes: string[];
  hasDefault: boolean;
}

/**
 * Maps actor-system names to links. Lookup order for `n1.w1`: an exact route,
 * then each dotted prefix (`n1`), then the default route — except for names
 * below this system's own (`<own>.x`), which only its own routes can reach. The prefix rule lets
 * a remote process reach `n1.w1` through `n1`'s main thread, which relays it to
 * its worker; the default lets a worker send anything it has no direct route
 * for to its parent thread.
 */
export class Router implements RemoteRouter {
  /** The link in use per system: the most recently added of its candidates. */
  private readonly routes = new Map<string, Link>();
  /** Every link that can reach a system (two nodes may dial each other); when the active one goes, the previous takes over. */
  private readonly candidates = new Map<string, Link[]>();
  private defaultLink: Link | undefined;
  private shaper: LinkShaper | undefined;
  private forwarded = 0;
  private delivered = 0;

  constructor(readonly system: ActorSystem) {
    system.attachRemote(this);
  }

  addRoute(systemName: string, link: Link): void {
    const list = this.candidates.get(systemName) ?? [];
    const at = list.indexOf(link);
    if (at >= 0) list.splice(at, 1);
    list.push(link);
    this.candidates.set(systemName, list);
    this.routes.set(systemName, link);
  }

  /** Removes `link` as a route to `systemName` (every link, without `link`); an older link to the same system takes over. */
  removeRoute(systemName: string, link?: Link): void {
    const list = (this.candidates.get(systemName) ?? []).filter((l) => link !== undefined && l !== link);
    if (list.length === 0) {
      this.candidates.delete(systemName);
      this.routes.delete(systemName);
    } else {
      this.candidates.set(systemName, list);
      this.routes.set(systemName, list[list.length - 1]!);
    }
  }

  setDefault(link: Link | undefined): void {
    this.defaultLink = link;
  }

  /** True when a route for exactly `systemName` exists (not via a prefix or the default). */
  hasRoute(systemName: string): boolean {
    return this.routes.has(systemName);
  }

  /** The link that `systemName` would be sent through, if any. */
  routeFor(systemName: string): Link | undefined {
    const exact = this.routes.get(systemName);
    if (exact !== undefined) return exact;
    for (let dot = systemName.lastIndexOf('.'); dot > 0; dot = systemName.lastIndexOf('.', dot - 1)) {
      const prefix = systemName.slice(0, dot);
      // Below this system only its own routes lead anywhere: the default (our
      // parent) would send it straight back here, and round again.
      if (prefix === this.system.name) return undefined;
      const viaPrefix = this.routes.get(prefix);
      if (viaPrefix !== undefined) return viaPrefix;
    }
    return this.defaultLink;
  }

  /**
   * Puts `shaper` (or nothing) between `send` and the links. A `LinkEmulator`
   * calls this itself. Relayed envelopes go through `send` too, so they are
   * shaped like the system's own.
   */
  setShaper(shaper: LinkShaper | undefined): void {
    this.shaper = shaper;
  }

  get currentShaper(): LinkShaper | undefined {
    return this.shaper;
  }

  send(envelope: RemoteEnvelope): boolean {
    if (envelope.to.system === this.system.name) return false;
    const link = this.routeFor(envelope.to.system);
    if (link === undefined) return false;
    const shaper = this.shaper;
    return shaper === undefined ? link.send(envelope) : shaper.send(envelope, link);
  }

  /**
   * What a link calls for every envelope it decoded: delivered here when it is
   * for this system, otherwise relayed as if a local actor had sent it, so an
   * unroutable message is dead-lettered and its ask fails like any other.
   */
  receive(envelope: RemoteEnvelope): void {
    if (envelope.to.system === this.system.name) {
      this.delivered++;
      try {
        this.system.receiveRemote(envelope);
      } catch (error) {
        // A tell with no sender to a full mailbox throws for a local teller; from a
        // link there is nobody to throw to, and it is already a dead letter. It
        // must not take the link (or the thread) down with it.
        if (!(error instanceof MailboxFullError)) {
          this.system.log.log('error', 'delivery of a remote envelope failed', { to: envelope.to.path, error: String(error) });
        }
      }
      return;
    }
    this.forwarded++;
    if (envelope.failure !== undefined) {
      if (!this.send(envelope)) {
        this.system.deadLetters.publish({ to: envelope.to, sender: envelope.sender, message: envelope.failure, reason: 'unreachable' });
      }
      return;
    }
    try {
      this.system.send(envelope.to, envelope.message, envelope.sender);
    } catch (error) {
      // A relay must not throw into the link that fed it; the failure is already a dead letter.
      this.system.log.log('warn', 'relay failed', { to: `${envelope.to.system}/${envelope.to.path}`, error: String(error) });
    }
  }

  stats(): RouterStats {
    return { forwarded: this.forwarded, delivered: this.delivered, routes: [...this.routes.keys()], hasDefault: this.defaultLink !== undefined };
  }

  /** Closes every link and forgets every route (and the shaper, which drops what it held). */
  close(): void {
    const shaper = this.shaper;
    this.shaper = undefined;
    shaper?.close();
    const links = new Set<Link>([...this.candidates.values()].flat());
    if (this.defaultLink !== undefined) links.add(this.defaultLink);
    this.routes.clear();
    this.candidates.clear();
    this.defaultLink = undefined;
    for (const link of links) link.close();
  }
}

// ---- batches: the body of one MessagePort message or one TCP data frame ----

/**
 * A batch is one flat msgpack array of variable-length records, one per
 * envelope: `flags, [toSystem, toPath], [senderSystem, senderPath], message, [failure]`.
 * The addresses appear only when they change: a run of envelopes between the
 * same two actors, the common case, costs two fields each (`flags, message`)
 * and no strings at all. No per-envelope array, map keys or object on the
 * sending side.
 */
const enum Flag {
  /** `toSystem, toPath` follow; otherwise the target of the previous record. */
  NewTarget = 1,
  /** The envelope has a sender: the previous record's sender unless NewSender. */
  Sender = 2,
  /** `senderSystem, senderPath` follow (only with Sender). */
  NewSender = 4,
  /** `failure` follows the message. */
  Failure = 8,
}
const allFlags = Flag.NewTarget | Flag.Sender | Flag.NewSender | Flag.Failure;

/** Envelopes queued for one link, in order, flattened. */
export class EnvelopeBatch {
  private fields: unknown[] = [];
  private count = 0;
  private lastTo: Address | undefined;
  private lastSender: Address | undefined;

  get size(): number {
    return this.count;
  }

  push(envelope: RemoteEnvelope): void {
    const { to, sender, failure } = envelope;
    const f = this.fields;
    const at = f.length;
    f[at] = 0; // the flags, filled in below (written first so the array never has a hole)
    let n = at + 1;
    let flags = 0;
    const lastTo = this.lastTo;
    if (lastTo === undefined || (lastTo !== to && (lastTo.path !== to.path || lastTo.system !== to.system))) {
      flags |= Flag.NewTarget;
      f[n++] = to.system;
      f[n++] = to.path;
      this.lastTo = to;
    }
    if (sender !== undefined) {
      flags |= Flag.Sender;
      const lastSender = this.lastSender;
      if (lastSender === undefined || (lastSender !== sender && (lastSender.path !== sender.path || lastSender.system !== sender.system))) {
        flags |= Flag.NewSender;
        f[n++] = sender.system;
        f[n++] = sender.path;
        this.lastSender = sender;
      }
    }
    f[n++] = envelope.message;
    if (failure !== undefined) {
      flags |= Flag.Failure;
      f[n] = failure;
    }
    f[at] = flags;
    this.count++;
  }

  /** Encodes and empties the batch. */
  take(): Buffer {
    const bytes = encode(this.fields);
    this.reset();
    return bytes;
  }

  /** Empties the batch, returning what was in it (for dead letters on close). */
  drain(): RemoteEnvelope[] {
    const out = envelopesFromFields(this.fields);
    this.reset();
    return out;
  }

  /**
   * Encodes and empties the batch as bodies of at most `maxBytes` each, halving
   * a batch that encodes too large. An envelope too large on its own is returned
   * in `tooLarge` rather than sent.
   */
  takeFrames(maxBytes: number): { frames: Buffer[]; tooLarge: RemoteEnvelope[] } {
    const fields = this.fields;
    this.reset();
    const bytes = encode(fields);
    if (bytes.length <= maxBytes) return { frames: [bytes], tooLarge: [] };
    const frames: Buffer[] = [];
    const tooLarge: RemoteEnvelope[] = [];
    // Re-batch in halves: each half is a batch of its own (its first record names its addresses).
    const encodeRange = (envelopes: RemoteEnvelope[]): void => {
      const part = new EnvelopeBatch();
      for (const envelope of envelopes) part.push(envelope);
      const encoded = encode(part.fields);
      if (encoded.length <= maxBytes) {
        frames.push(encoded);
      } else if (envelopes.length === 1) {
        tooLarge.push(envelopes[0]!);
      } else {
        const half = Math.ceil(envelopes.length / 2);
        encodeRange(envelopes.slice(0, half));
        encodeRange(envelopes.slice(half));
      }
    };
    encodeRange(envelopesFromFields(fields));
    return { frames, tooLarge };
  }

  private reset(): void {
    this.fields = [];
    this.count = 0;
    this.lastTo = undefined;
    this.lastSender = undefined;
  }
}

/** Decodes one batch; refs inside messages are bound to `system`. Throws CorruptionError on anything that is not a well-formed batch. */
export function decodeBatch(bytes: Uint8Array, system: ActorSystem): RemoteEnvelope[] {
  const fields = decode<unknown>(bytes, system);
  if (!Array.isArray(fields)) throw new CorruptionError('a batch must be an array of envelope records');
  return envelopesFromFields(fields);
}

function envelopesFromFields(fields: unknown[]): RemoteEnvelope[] {
  const out: RemoteEnvelope[] = [];
  // Envelopes of a run between the same two actors share one (immutable) Address object per end.
  let to: Address | undefined;
  let sender: Address | undefined;
  const end = fields.length;
  let i = 0;
  while (i < end) {
    const record = out.length;
    const flags = fields[i++];
    if (typeof flags !== 'number' || (flags & ~allFlags) !== 0 || (flags & (Flag.Sender | Flag.NewSender)) === Flag.NewSender) {
      throw new CorruptionError(`envelope ${record}: bad flags ${String(flags)}`);
    }
    if (flags & Flag.NewTarget) {
      const toSystem = fields[i++];
      const toPath = fields[i++];
      if (typeof toSystem !== 'string' || typeof toPath !== 'string') throw new CorruptionError(`envelope ${record}: malformed target address`);
      to = { system: toSystem, path: toPath };
    } else if (to === undefined) {
      throw new CorruptionError(`envelope ${record}: no target address`);
    }
    let from: Address | undefined;
    if (flags & Flag.NewSender) {
      const senderSystem = fields[i++];
      const senderPath = fields[i++];
      if (typeof senderSystem !== 'string' || typeof senderPath !== 'string') throw new CorruptionError(`envelope ${record}: malformed sender address`);
      from = sender = { system: senderSystem, path: senderPath };
    } else if (flags & Flag.Sender) {
      if (sender === undefined) throw new CorruptionError(`envelope ${record}: no sender address`);
      from = sender;
    }
    if (i >= end) throw new CorruptionError(`envelope ${record}: truncated`);
    const envelope: RemoteEnvelope = { to, sender: from, message: fields[i++] };
    if (flags & Flag.Failure) {
      const failure = fields[i++];
      if (!isFailure(failure)) throw new CorruptionError(`envelope ${record}: malformed failure`);
      envelope.failure = failure;
    }
    out.push(envelope);
  }
  if (i !== end) throw new CorruptionError('a batch ended inside an envelope record');
  return out;
}

function isFailure(value: unknown): value is { code: string; message: string } {
  if (typeof value !== 'object' || value === null) return false;
  const { code, message } = value as Record<string, unknown>;
  return typeof code === 'string' && typeof message === 'string';
}
