import type { Props, SupervisorStrategy } from './actor.js';
import { ActorCell, type Envelope } from './actor-cell.js';
import { ActorRef } from './actor-ref.js';
import { checkName, formatAddress, type Address } from './address.js';
import { RealClock, type Clock, type TimerHandle } from './clock.js';
import { DeadLetters, type DeadLetterReason } from './dead-letters.js';
import { runtimeDefaults } from './defaults.js';
import { Dispatcher } from './dispatcher.js';
import { ActorNotFoundError, AskTimeoutError, EdgeKVError, MailboxFullError } from './errors.js';
import { ConsoleLogger, type Logger } from './logger.js';
import { RealRandom, type Random } from './random.js';

/** What crosses a link between actor systems. `failure` travels back to a sender whose message was refused. */
export interface RemoteEnvelope {
  to: Address;
  sender?: Address;
  message: unknown;
  failure?: { code: string; message: string };
}

/** Carries envelopes to other actor systems (worker threads, processes, hosts, simulated nodes). */
export interface RemoteRouter {
  /** Returns false when no route to `envelope.to.system` exists. */
  send(envelope: RemoteEnvelope): boolean;
}

export interface ActorSystemOptions {
  /** Unique in the cluster: the address of every actor in this system starts with it. */
  name: string;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  /** The simulator sets false so that a run never depends on the event loop. */
  yieldToEventLoop?: boolean;
  /** How top-level actors are supervised. */
  guardianStrategy?: SupervisorStrategy;
}

interface PendingAsk {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer: TimerHandle;
}

const askPrefix = '$ask/';

export interface SystemStats {
  name: string;
  actors: number;
  messagesProcessed: number;
  pendingAsks: number;
  deadLetters: number;
  deadLettersByReason: Record<DeadLetterReason, number>;
}

/**
 * A set of actors sharing one dispatcher, clock, random source and logger: one
 * per thread, process or simulated node. Routes messages for other systems
 * through its RemoteRouter.
 */
export class ActorSystem {
  readonly name: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly log: Logger;
  readonly deadLetters = new DeadLetters();
  readonly dispatcher: Dispatcher;
  readonly guardianStrategy: SupervisorStrategy;
  private readonly cells = new Map<string, ActorCell<unknown>>();
  private readonly asks = new Map<string, PendingAsk>();
  private nextAskId = 1;
  private remote: RemoteRouter | undefined;
  private terminated = false;
  private halted = false;

  constructor(options: ActorSystemOptions) {
    checkName('actor system', options.name);
    this.name = options.name;
    this.clock = options.clock ?? new RealClock();
    this.random = options.random ?? new RealRandom();
    this.log = options.logger ?? new ConsoleLogger(options.name);
    this.dispatcher = new Dispatcher(options.yieldToEventLoop ?? true);
    this.guardianStrategy = options.guardianStrategy ?? runtimeDefaults.supervisor;
  }

  /** Starts a top-level actor. */
  spawn<M>(props: Props<M>, name: string): ActorRef<M> {
    checkName('actor', name);
    return this.createCell(props, name, undefined).self;
  }

  /** A ref to any address; `path` alone means an actor of this system. */
  ref<M = unknown>(target: Address | string): ActorRef<M> {
    const address = typeof target === 'string' ? { system: this.name, path: target } : target;
    return new ActorRef<M>(this, address);
  }

  attachRemote(router: RemoteRouter): void {
    this.remote = router;
  }

  /** Stops an actor and its children; queued messages go to dead letters. */
  stop(ref: ActorRef<unknown>): void {
    if (ref.address.system !== this.name) {
      throw new EdgeKVError('REMOTE_STOP', `stop ${ref} from its own system (${ref.address.system})`);
    }
    const cell = this.cells.get(ref.address.path);
    if (cell !== undefined) this.stopCell(cell);
  }

  /** Stops every actor and fails every pending ask. */
  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    for (const cell of [...this.cells.values()]) if (cell.parentCell === undefined) this.stopCell(cell);
    for (const [path, ask] of this.asks) {
      this.clock.clearTimeout(ask.timer);
      ask.reject(new ActorNotFoundError(`${this.name}/${path} (actor system terminated)`));
    }
    this.asks.clear();
  }

  /**
   * The system dies as in a process crash: every actor ceases at once without
   * postStop, pending asks never complete, and nothing is delivered any more.
   * The simulator uses it so a crashed node's leftover promise callbacks
   * cannot run its actors.
   */
  halt(): void {
    this.halted = true;
    this.terminated = true;
    for (const cell of this.cells.values()) cell.halt();
    this.cells.clear();
    for (const ask of this.asks.values()) this.clock.clearTimeout(ask.timer);
    this.asks.clear();
  }

  get isTerminated(): boolean {
    return this.terminated;
  }

  stats(): SystemStats {
    let processed = 0;
    for (const cell of this.cells.values()) processed += cell.processed;
    return {
      name: this.name,
      actors: this.cells.size,
      messagesProcessed: processed,
      pendingAsks: this.asks.size,
      deadLetters: this.deadLetters.total,
      deadLettersByReason: { ...this.deadLetters.byReason },
    };
  }

  /** True when an actor lives at `path` in this system. */
  has(path: string): boolean {
    return this.cells.has(path);
  }

  // ---- message paths ------------------------------------------------------

  send(to: Address, message: unknown, sender?: Address): void {
    if (this.halted) return;
    if (to.system !== this.name) this.sendRemote({ to, sender, message });
    else this.deliverHere(to, message, sender);
  }

  ask<R>(to: Address, message: unknown, timeoutMs: number): Promise<R> {
    if (!(timeoutMs > 0)) {
      return Promise.reject(new EdgeKVError('INVALID_ARGUMENT', `ask needs a positive timeoutMs, got ${timeoutMs}`));
    }
    const path = `${askPrefix}${this.nextAskId++}`;
    return new Promise<R>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        if (this.asks.delete(path)) reject(new AskTimeoutError(formatAddress(to), timeoutMs));
      }, timeoutMs);
      this.asks.set(path, { resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        this.send(to, message, { system: this.name, path });
      } catch (error) {
        this.completeAsk(path, undefined, error);
      }
    });
  }

  /** An envelope that arrived from another system. */
  receiveRemote(envelope: RemoteEnvelope): void {
    if (this.terminated) return;
    const { to, sender, message, failure } = envelope;
    if (failure !== undefined) {
      const error = errorFromFailure(failure);
      if (to.path.startsWith(askPrefix)) this.completeAsk(to.path, undefined, error);
      else this.deadLetters.publish({ to: sender ?? to, sender: to, message, reason: 'mailbox-full' });
      return;
    }
    this.deliverHere(to, message, sender);
  }

  /** A message for this system: an ask's answer, or a message for one of its actors. */
  private deliverHere(to: Address, message: unknown, sender: Address | undefined): void {
    if (to.path.startsWith(askPrefix)) {
      this.completeAsk(to.path, message, undefined);
      return;
    }
    const cell = this.cells.get(to.path);
    if (cell === undefined) {
      this.undeliverable(to, sender, message, 'no-such-actor', new ActorNotFoundError(formatAddress(to)));
      return;
    }
    this.deliverLocal(cell, { message, sender });
  }

  /** Applies the overflow policy, then queues. */
  deliverLocal(cell: ActorCell<unknown>, envelope: Envelope): void {
    if (cell.isStopped) {
      this.undeliverable(cell.self.address, envelope.sender, envelope.message, 'stopped', new ActorNotFoundError(cell.path));
      return;
    }
    if (cell.mailbox.isFull) {
      if (cell.mailboxOptions.overflow === 'drop-oldest') {
        const dropped = cell.mailbox.shift()!;
        this.deadLetters.publish({ to: cell.self.address, sender: dropped.sender, message: dropped.message, reason: 'dropped-oldest' });
      } else {
        this.undeliverable(
          cell.self.address,
          envelope.sender,
          envelope.message,
          'mailbox-full',
          new MailboxFullError(cell.path, cell.mailboxOptions.capacity),
        );
        return;
      }
    }
    cell.enqueue(envelope);
  }

  // ---- internals used by ActorCell -----------------------------------------

  createCell<M>(props: Props<M>, path: string, parent: ActorCell<unknown> | undefined): ActorCell<M> {
    if (this.terminated) throw new EdgeKVError('SYSTEM_TERMINATED', `actor system ${this.name} is terminated`);
    if (this.cells.has(path)) throw new EdgeKVError('ACTOR_EXISTS', `an actor already lives at ${this.name}/${path}`);
    const cell = new ActorCell<M>(this, path, props, parent);
    this.cells.set(path, cell as ActorCell<unknown>);
    cell.start();
    return cell;
  }

  /** Stops `cell` (its children first: `terminate` stops them through here). */
  stopCell(cell: ActorCell<unknown>): void {
    const left = cell.terminate();
    this.cells.delete(cell.path);
    for (const envelope of left) {
      this.undeliverable(cell.self.address, envelope.sender, envelope.message, 'stopped', new ActorNotFoundError(cell.path));
    }
  }

  // ---- helpers --------------------------------------------------------------

  private sendRemote(envelope: RemoteEnvelope): void {
    if (this.remote === undefined || !this.remote.send(envelope)) {
      this.undeliverable(
        envelope.to,
        envelope.sender,
        envelope.message,
        'unreachable',
        new EdgeKVError('UNREACHABLE', `no route to actor system ${envelope.to.system}`),
      );
    }
  }

  /**
   * A message that cannot be delivered goes to dead letters; its sender learns
   * why: an ask fails at once, a local teller of a full mailbox gets the error
   * thrown, a remote sender gets a failure envelope.
   */
  private undeliverable(to: Address, sender: Address | undefined, message: unknown, reason: DeadLetterReason, error: EdgeKVError): void {
    this.deadLetters.publish({ to, sender, message, reason });
    if (sender === undefined) {
      if (reason === 'mailbox-full') throw error;
      return;
    }
    if (sender.system !== this.name) {
      if (reason === 'mailbox-full' || sender.path.startsWith(askPrefix)) {
        this.remote?.send({ to: sender, sender: to, message: undefined, failure: { code: error.code, message: error.message } });
      }
      return;
    }
    if (sender.path.startsWith(askPrefix)) {
      this.completeAsk(sender.path, undefined, error);
    } else if (reason === 'mailbox-full') {
      throw error;
    }
  }

  private completeAsk(path: string, value: unknown, error: unknown): void {
    const ask = this.asks.get(path);
    if (ask === undefined) return; // late reply after a timeout: nothing waits for it
    this.asks.delete(path);
    this.clock.clearTimeout(ask.timer);
    if (error !== undefined) ask.reject(error);
    else ask.resolve(value);
  }
}

function errorFromFailure(failure: { code: string; message: string }): EdgeKVError {
  switch (failure.code) {
    case 'MAILBOX_FULL':
      return Object.assign(new MailboxFullError('remote', 0), { message: failure.message });
    case 'ACTOR_NOT_FOUND':
      return Object.assign(new ActorNotFoundError('remote'), { message: failure.message });
    default:
      return new EdgeKVError(failure.code, failure.message);
  }
}
