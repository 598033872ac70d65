import { createServer, Socket, type Server } from 'node:net';
import type { RemoteEnvelope } from './actor-system.js';
import { checkName } from './address.js';
import type { TimerHandle } from './clock.js';
import { decode, encode } from './codec.js';
import { runtimeDefaults } from './defaults.js';
import { EdgeKVError, InvalidArgumentError } from './errors.js';
import type { LogLevel } from './logger.js';
import { decodeBatch, EnvelopeBatch, type Link, type Router } from './router.js';
import { encodeFrame, FrameDecoder, FrameTooLargeError } from './tcp-frame.js';
import { handshakeVersion, nonceBytes, parseHandshake, proofFor, verifyProof, type HandshakeMessage } from './tcp-handshake.js';

/** A TCP peer failed the handshake (wrong cluster secret, unexpected name, protocol error). */
export class HandshakeError extends EdgeKVError {
  constructor(readonly peer: string, readonly reason: string) {
    super('HANDSHAKE_FAILED', `handshake with ${peer} failed: ${reason}`);
  }
}

export interface TcpTransportOptions {
  /** Remote systems become reachable through this router once authenticated. */
  router: Router;
  /** Shared by every node of the cluster; a peer that cannot prove it holds it is refused. */
  secret: string | Uint8Array;
  maxFrameBytes?: number;
  handshakeTimeoutMs?: number;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  maxQueuedWhileDisconnected?: number;
  maxSocketBufferBytes?: number;
  maxPendingHandshakes?: number;
}

export interface DialOptions {
  /** The system expected at the other end: routed (and queued for) before the first connection, and checked in the handshake. */
  system?: string;
}

export interface TcpLinkStats {
  description: string;
  remoteSystem: string | undefined;
  inbound: boolean;
  open: boolean;
  framesSent: number;
  framesReceived: number;
}

type LinkState = 'connecting' | 'handshaking' | 'open' | 'backoff' | 'closed';

/**
 * TCP between processes and hosts. Frames are a 4-byte big-endian length and a
 * msgpackr body; data frames carry a batch of envelopes (all sent in one
 * microtask). Both ends authenticate with the cluster secret (tcp-handshake.ts)
 * before any envelope flows. Dialed links reconnect with exponential backoff
 * and jitter; accepted links end with their socket.
 */
export class TcpTransport {
  readonly router: Router;
  readonly secret: Uint8Array;
  readonly settings: Required<Omit<TcpTransportOptions, 'router' | 'secret'>>;
  private server: Server | undefined;
  private readonly links = new Set<TcpLink>();
  private closed = false;

  constructor(options: TcpTransportOptions) {
    this.router = options.router;
    this.secret = typeof options.secret === 'string' ? Buffer.from(options.secret, 'utf8') : options.secret;
    if (this.secret.length === 0) throw new InvalidArgumentError('the cluster secret must not be empty');
    this.settings = {
      maxFrameBytes: options.maxFrameBytes ?? runtimeDefaults.maxFrameBytes,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? runtimeDefaults.handshakeTimeoutMs,
      reconnectBaseMs: options.reconnectBaseMs ?? runtimeDefaults.reconnectBaseMs,
      reconnectMaxMs: options.reconnectMaxMs ?? runtimeDefaults.reconnectMaxMs,
      maxQueuedWhileDisconnected: options.maxQueuedWhileDisconnected ?? runtimeDefaults.maxQueuedWhileDisconnected,
      maxSocketBufferBytes: options.maxSocketBufferBytes ?? runtimeDefaults.maxSocketBufferBytes,
      maxPendingHandshakes: options.maxPendingHandshakes ?? runtimeDefaults.maxPendingHandshakes,
    };
  }

  /** Accepts peers on `port` (0 picks a free one); resolves with the port. */
  listen(port = 0, host = '127.0.0.1'): Promise<number> {
    if (this.server !== undefined) return Promise.reject(new EdgeKVError('ALREADY_LISTENING', 'this transport already listens'));
    const server = createServer({ noDelay: true }, (socket) => {
      if (this.closed) {
        socket.destroy();
        return;
      }
      const pending = [...this.links].filter((l) => l.isInbound && !l.isOpen).length;
      if (pending >= this.settings.maxPendingHandshakes) {
        this.log('warn', 'tcp connection refused: too many unauthenticated connections', {
          peer: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
          maxPendingHandshakes: this.settings.maxPendingHandshakes,
        });
        socket.destroy();
        return;
      }
      const link = new TcpLink(this, undefined, undefined);
      this.links.add(link);
      link.adopt(socket);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      const failed = (error: Error): void => {
        this.server = undefined;
        reject(error);
      };
      server.once('error', failed);
      server.listen(port, host, () => {
        server.off('error', failed);
        server.on('error', (error) => this.log('error', 'tcp server error', { error: String(error) }));
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  /** Stops accepting peers at once; existing links stay up, and the promise settles when the last accepted one has ended. */
  stopListening(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  /**
   * Connects to `host:port` and keeps reconnecting until closed. `link.ready`
   * resolves with the peer's system name after the first handshake, or
   * rejects with HandshakeError if the peer fails authentication (the link then
   * stops for good: a wrong secret is a configuration error, not a transient).
   */
  dial(target: string, options: DialOptions = {}): TcpLink {
    const match = /^(.*):(\d+)$/.exec(target);
    if (match === null) throw new InvalidArgumentError(`dial target "${target}" must be host:port`);
    if (this.closed) throw new EdgeKVError('TRANSPORT_CLOSED', 'this transport is closed');
    if (options.system !== undefined) checkName('actor system', options.system);
    const link = new TcpLink(this, { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) }, options.system);
    this.links.add(link);
    link.connect();
    return link;
  }

  /** Closes every link and the listener. */
  async close(): Promise<void> {
    this.closed = true;
    for (const link of [...this.links]) link.close();
    await this.stopListening();
  }

  /** One line per live link: who, which way, whether it is up, and its traffic in frames. */
  stats(): TcpLinkStats[] {
    return [...this.links].map((link) => ({
      description: link.description,
      remoteSystem: link.remoteSystem,
      inbound: link.isInbound,
      open: link.isOpen,
      framesSent: link.framesSent,
      framesReceived: link.framesReceived,
    }));
  }

  /** Live links, for stats and tests. */
  get activeLinks(): TcpLink[] {
    return [...this.links];
  }

  /** @internal */
  forget(link: TcpLink): void {
    this.links.delete(link);
  }

  /** @internal */
  log(level: LogLevel, message: string, fields: Record<string, unknown>): void {
    this.router.system.log.log(level, message, fields);
  }
}

/**
 * One peer over TCP. While the socket is down (dialed links only), or holds
 * more than `maxSocketBufferBytes` unsent, envelopes queue, up to
 * `maxQueuedWhileDisconnected`; past that `send` returns false and the system
 * dead-letters the envelope as unreachable. Envelopes written to a
 * socket that then dies are lost (at-most-once, like any actor message).
 */
export class TcpLink implements Link {
  private state: LinkState = 'connecting';
  private socket: Socket | undefined;
  private decoder: FrameDecoder | undefined;
  private batch = new EnvelopeBatch();
  private flushQueued = false;
  private attempts = 0;
  private timer: TimerHandle | undefined;
  private ourNonce: Uint8Array = new Uint8Array(0);
  private gotHello = false;
  private routedAs: string | undefined;
  private resolveReady!: (system: string) => void;
  private rejectReady!: (error: unknown) => void;
  /** Resolves with the peer's system name after the first successful handshake. */
  readonly ready: Promise<string>;
  remoteSystem: string | undefined;
  framesSent = 0;
  framesReceived = 0;

  constructor(
    private readonly transport: TcpTransport,
    private readonly target: { host: string; port: number } | undefined,
    private readonly expectedSystem: string | undefined,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
    if (expectedSystem !== undefined) this.route(expectedSystem);
  }

  get description(): string {
    const where = this.target !== undefined ? `${this.target.host}:${this.target.port}` : this.peerAddress();
    return `tcp ${this.remoteSystem ?? '?'}@${where}`;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Accepted from a listener (not dialed): it does not reconnect. */
  get isInbound(): boolean {
    return this.target === undefined;
  }

  send(envelope: RemoteEnvelope): boolean {
    if (this.state === 'closed') return false;
    const flowing = this.state === 'open' && !this.congested;
    if (!flowing && this.batch.size >= this.transport.settings.maxQueuedWhileDisconnected) return false;
    this.batch.push(envelope);
    if (!flowing) return true;
    if (this.batch.size >= runtimeDefaults.maxEnvelopesPerBatch) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flush);
    }
    return true;
  }

  close(): void {
    if (this.state === 'closed') return;
    if (this.state === 'open') this.flush();
    this.finish(new EdgeKVError('LINK_CLOSED', `${this.description} was closed`));
    const socket = this.socket;
    if (socket !== undefined) {
      socket.end();
      // A peer that never closes its side must not keep this one open (and a transport's close() waiting).
      setTimeout(() => socket.destroy(), runtimeDefaults.tcpCloseGraceMs).unref();
    }
  }

  // ---- connection lifecycle -------------------------------------------------

  /** @internal Dials (again). */
  connect(): void {
    if (this.state === 'closed' || this.target === undefined) return;
    this.state = 'connecting';
    const socket = new Socket();
    socket.setNoDelay(true);
    socket.connect(this.target.port, this.target.host, () => this.startHandshake());
    this.attach(socket);
    // A SYN into a black hole would otherwise wait for the kernel's retries (minutes).
    this.armTimer(`no connection within ${this.transport.settings.handshakeTimeoutMs} ms`, 'connecting');
  }

  /** Drops the socket if the link is still in `state` after handshakeTimeoutMs. */
  private armTimer(reason: string, state: LinkState): void {
    this.clearTimer();
    this.timer = this.transport.router.system.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.state === state) this.drop(reason);
    }, this.transport.settings.handshakeTimeoutMs);
  }

  /** @internal Takes an accepted socket. */
  adopt(socket: Socket): void {
    socket.setNoDelay(true);
    this.attach(socket);
    this.startHandshake();
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    const decoder = new FrameDecoder(runtimeDefaults.maxHandshakeFrameBytes);
    this.decoder = decoder;
    this.gotHello = false;
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      try {
        decoder.push(chunk, this.onFrame);
      } catch (error) {
        const reason = error instanceof FrameTooLargeError ? error.message : `frame handling failed: ${String(error)}`;
        this.drop(reason);
      }
    });
    socket.on('error', (error) => {
      this.transport.log(this.state === 'open' ? 'warn' : 'debug', 'tcp socket error', { link: this.description, error: error.message });
    });
    socket.on('close', () => this.onSocketClosed(socket));
    socket.on('drain', () => {
      if (this.socket === socket) this.flush();
    });
  }

  private startHandshake(): void {
    if (this.state === 'closed') return;
    this.state = 'handshaking';
    this.ourNonce = this.transport.router.system.random.bytes(nonceBytes);
    this.writeFrame(encode({ t: 'hello', v: handshakeVersion, nonce: this.ourNonce }));
    this.armTimer(`no handshake within ${this.transport.settings.handshakeTimeoutMs} ms`, 'handshaking');
  }

  private readonly onFrame = (body: Buffer): void => {
    this.framesReceived++;
    if (this.state === 'open') this.onDataFrame(body);
    else if (this.state === 'handshaking') this.onHandshakeFrame(body);
    else this.drop(`unexpected frame while ${this.state}`);
  };

  private onHandshakeFrame(body: Buffer): void {
    let message: HandshakeMessage | string;
    try {
      message = parseHandshake(decode(body, this.transport.router.system));
    } catch (error) {
      this.drop(`malformed handshake frame: ${(error as Error).message}`);
      return;
    }
    if (typeof message === 'string') {
      this.drop(message);
      return;
    }
    const secret = this.transport.secret;
    const ownName = this.transport.router.system.name;
    if (message.t === 'hello') {
      if (this.gotHello) {
        this.drop('second hello');
        return;
      }
      this.gotHello = true;
      this.writeFrame(encode({ t: 'proof', name: ownName, mac: proofFor(secret, message.nonce, ownName) }));
      return;
    }
    if (!this.gotHello) {
      this.drop('proof before hello');
      return;
    }
    const name = message.name;
    if (!verifyProof(secret, this.ourNonce, name, message.mac)) {
      this.refuse('authentication failed (the peer does not hold this cluster secret)');
      return;
    }
    if (name === ownName) {
      this.refuse(`peer claims this node's own name ${name}`);
      return;
    }
    try {
      checkName('actor system', name);
    } catch {
      this.refuse(`invalid system name ${JSON.stringify(name)}`);
      return;
    }
    if (this.expectedSystem !== undefined && name !== this.expectedSystem) {
      this.refuse(`expected system ${this.expectedSystem}, found ${name}`);
      return;
    }
    this.open(name);
  }

  private open(name: string): void {
    this.clearTimer();
    this.state = 'open';
    this.attempts = 0;
    this.remoteSystem = name;
    this.decoder!.maxFrameBytes = this.transport.settings.maxFrameBytes;
    this.route(name);
    this.transport.log('info', 'tcp link up', { link: this.description });
    this.resolveReady(name);
    this.flush();
  }

  private onDataFrame(body: Buffer): void {
    let envelopes: RemoteEnvelope[];
    try {
      envelopes = decodeBatch(body, this.transport.router.system);
    } catch (error) {
      this.drop(`malformed frame: ${(error as Error).message}`);
      return;
    }
    const router = this.transport.router;
    for (const envelope of envelopes) router.receive(envelope);
  }

  /** Authentication failed: drop the connection; a dialed link stops for good. */
  private refuse(reason: string): void {
    const error = new HandshakeError(this.description, reason);
    this.transport.log('error', 'tcp handshake failed; peer refused', { link: this.description, reason });
    if (this.target !== undefined) {
      this.finish(error);
      this.socket?.destroy();
    } else {
      this.drop(reason);
    }
  }

  /** Closes the current socket with a logged reason; a dialed link reconnects. */
  private drop(reason: string): void {
    const socket = this.socket;
    if (socket === undefined || socket.destroyed) return;
    this.transport.log('warn', 'tcp connection closed', { link: this.description, reason });
    this.decoder?.stop();
    socket.destroy();
  }

  private onSocketClosed(socket: Socket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    this.decoder = undefined;
    this.clearTimer();
    if (this.state === 'closed') return;
    if (this.target === undefined) {
      this.finish(new EdgeKVError('LINK_CLOSED', `${this.description} disconnected`));
      return;
    }
    if (this.state === 'open') this.transport.log('warn', 'tcp link down; reconnecting', { link: this.description });
    this.state = 'backoff';
    const { reconnectBaseMs, reconnectMaxMs } = this.transport.settings;
    const ceiling = Math.min(reconnectMaxMs, reconnectBaseMs * 2 ** Math.min(this.attempts, 30));
    // "Equal jitter": at least half the backoff, so peers that lost each other together do not redial in lockstep.
    const delayMs = ceiling / 2 + (ceiling / 2) * this.transport.router.system.random.next();
    this.attempts++;
    this.timer = this.transport.router.system.clock.setTimeout(() => {
      this.timer = undefined;
      this.connect();
    }, delayMs);
  }

  /** The link is done: unroute it, dead-letter what is queued, settle `ready`. */
  private finish(error: unknown): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clearTimer();
    if (this.routedAs !== undefined) this.transport.router.removeRoute(this.routedAs, this);
    this.transport.forget(this);
    this.rejectReady(error);
    const system = this.transport.router.system;
    for (const envelope of this.batch.drain()) {
      system.deadLetters.publish({ to: envelope.to, sender: envelope.sender, message: envelope.message, reason: 'unreachable' });
    }
  }

  private route(name: string): void {
    if (this.routedAs !== undefined && this.routedAs !== name) this.transport.router.removeRoute(this.routedAs, this);
    this.routedAs = name;
    this.transport.router.addRoute(name, this);
  }

  /**
   * The peer reads slower than we write: hold envelopes (bounded, like while
   * disconnected) until the socket drains, rather than buffer without limit.
   */
  private get congested(): boolean {
    const socket = this.socket;
    return socket !== undefined && socket.writableLength > this.transport.settings.maxSocketBufferBytes;
  }

  private readonly flush = (): void => {
    this.flushQueued = false;
    if (this.state !== 'open' || this.batch.size === 0 || this.congested) return;
    const { frames, tooLarge } = this.batch.takeFrames(this.transport.settings.maxFrameBytes);
    for (const body of frames) this.writeFrame(body);
    const system = this.transport.router.system;
    for (const envelope of tooLarge) {
      this.transport.log('error', 'message larger than the tcp frame limit; dropped', {
        link: this.description,
        to: `${envelope.to.system}/${envelope.to.path}`,
        maxFrameBytes: this.transport.settings.maxFrameBytes,
      });
      system.deadLetters.publish({ to: envelope.to, sender: envelope.sender, message: envelope.message, reason: 'unreachable' });
    }
  };

  private writeFrame(body: Uint8Array): void {
    const socket = this.socket;
    if (socket === undefined || socket.destroyed) return;
    socket.write(encodeFrame(body));
    this.framesSent++;
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      this.transport.router.system.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private peerAddress(): string {
    const s = this.socket;
    return s === undefined ? 'closed' : `${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}`;
  }
}
