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
 * then each dotted prefix (`n1`), then the default route. The prefix rule lets
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
      const viaPrefix = this.routes.get(systemName.slice(0, dot));
      if (viaPrefix !== undefined) return viaPrefix;
    }
    return this.defaultLink;
  }

  send(envelope: RemoteEnvelope): boolean {
    if (envelope.to.system === this.system.name) return false;
    const link = this.routeFor(envelope.to.system);
    return link === undefined ? false : link.send(envelope);
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

  /** Closes every link and forgets every route. */
  close(): void {
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
 * Fields per envelope in a batch. A batch is one flat msgpack array
 * `[toSystem, toPath, senderSystem|null, senderPath|null, message, failure|null, ...]`:
 * no per-envelope array or map keys on the wire, and no per-envelope object
 * on the sending side.
 */
const fieldsPerEnvelope = 6;

/** Envelopes queued for one link, in order, flattened. */
export class EnvelopeBatch {
  private fields: unknown[] = [];

  get size(): number {
    return this.fields.length / fieldsPerEnvelope;
  }

  push(envelope: RemoteEnvelope): void {
    const { to, sender } = envelope;
    this.fields.push(to.system, to.path, sender?.system ?? null, sender?.path ?? null, envelope.message, envelope.failure ?? null);
  }

  /** Encodes and empties the batch. */
  take(): Buffer {
    const bytes = encode(this.fields);
    this.fields = [];
    return bytes;
  }

  /** Empties the batch, returning what was in it (for dead letters on close). */
  drain(): RemoteEnvelope[] {
    const out = envelopesFromFields(this.fields);
    this.fields = [];
    return out;
  }

  /**
   * Encodes and empties the batch as bodies of at most `maxBytes` each, halving
   * a batch that encodes too large. An envelope too large on its own is returned
   * in `tooLarge` rather than sent.
   */
  takeFrames(maxBytes: number): { frames: Buffer[]; tooLarge: RemoteEnvelope[] } {
    const fields = this.fields;
    this.fields = [];
    const frames: Buffer[] = [];
    const tooLarge: RemoteEnvelope[] = [];
    const encodeRange = (part: unknown[]): void => {
      const bytes = encode(part);
      if (bytes.length <= maxBytes) {
        frames.push(bytes);
        return;
      }
      const count = part.length / fieldsPerEnvelope;
      if (count === 1) {
        tooLarge.push(...envelopesFromFields(part));
        return;
      }
      const half = Math.ceil(count / 2) * fieldsPerEnvelope;
      encodeRange(part.slice(0, half));
      encodeRange(part.slice(half));
    };
    encodeRange(fields);
    return { frames, tooLarge };
  }
}

/** Decodes one batch; refs inside messages are bound to `system`. Throws CorruptionError on anything that is not a well-formed batch. */
export function decodeBatch(bytes: Uint8Array, system: ActorSystem): RemoteEnvelope[] {
  const fields = decode<unknown>(bytes, system);
  if (!Array.isArray(fields) || fields.length % fieldsPerEnvelope !== 0) {
    throw new CorruptionError(`a batch must be an array of ${fieldsPerEnvelope}-field envelopes`);
  }
  return envelopesFromFields(fields);
}

function envelopesFromFields(fields: unknown[]): RemoteEnvelope[] {
  const out: RemoteEnvelope[] = new Array(fields.length / fieldsPerEnvelope);
  // Runs of envelopes between the same two actors are the common case in a
  // batch: they share one (immutable) Address object per end.
  let to: Address | undefined;
  let sender: Address | undefined;
  for (let i = 0, j = 0; i < fields.length; i += fieldsPerEnvelope, j++) {
    const toSystem = fields[i];
    const toPath = fields[i + 1];
    const senderSystem = fields[i + 2];
    const senderPath = fields[i + 3];
    const failure = fields[i + 5];
    if (typeof toSystem !== 'string' || typeof toPath !== 'string') throw new CorruptionError(`envelope ${j}: no target address`);
    if (to === undefined || to.path !== toPath || to.system !== toSystem) to = { system: toSystem, path: toPath };
    if (typeof senderSystem === 'string' && typeof senderPath === 'string') {
      if (sender === undefined || sender.path !== senderPath || sender.system !== senderSystem) sender = { system: senderSystem, path: senderPath };
    } else if (senderSystem === null && senderPath === null) {
      sender = undefined;
    } else {
      throw new CorruptionError(`envelope ${j}: malformed sender address`);
    }
    const envelope: RemoteEnvelope = { to, sender, message: fields[i + 4] };
    if (failure !== null && failure !== undefined) {
      if (!isFailure(failure)) throw new CorruptionError(`envelope ${j}: malformed failure`);
      envelope.failure = failure;
    }
    out[j] = envelope;
  }
  return out;
}

function isFailure(value: unknown): value is { code: string; message: string } {
  if (typeof value !== 'object' || value === null) return false;
  const { code, message } = value as Record<string, unknown>;
  return typeof code === 'string' && typeof message === 'string';
}
