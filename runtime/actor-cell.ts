import type { Actor, ActorContext, Directive, Props, SupervisorStrategy, TimerOptions } from './actor.js';
import { ActorRef } from './actor-ref.js';
import { checkName, type Address } from './address.js';
import type { ActorSystem } from './actor-system.js';
import type { TimerHandle } from './clock.js';
import { runtimeDefaults } from './defaults.js';
import { EdgeKVError } from './errors.js';
import { Mailbox, type MailboxOptions } from './mailbox.js';
import type { Runnable } from './dispatcher.js';

export interface Envelope {
  message: unknown;
  sender: Address | undefined;
}

/** Raised in a parent when a child exhausted its restart budget. */
export class RestartBudgetExceededError extends EdgeKVError {
  constructor(readonly child: string, readonly restarts: number, readonly withinMs: number, cause: unknown) {
    super('RESTART_BUDGET_EXCEEDED', `${child} failed ${restarts} times within ${withinMs} ms; giving up`, { cause });
  }
}

type CellState = 'running' | 'busy' | 'suspended' | 'stopped';

/**
 * The runtime's side of one actor: its mailbox, its current instance, its
 * children, its timers and its place in the supervision tree. The actor only
 * sees `ActorContext`.
 */
export class ActorCell<M = unknown> implements Runnable, ActorContext<M> {
  readonly self: ActorRef<M>;
  readonly mailbox: Mailbox<Envelope>;
  readonly mailboxOptions: MailboxOptions;
  private actor: Actor<M>;
  private state: CellState = 'running';
  private scheduled = false;
  private current: Envelope | undefined;
  private readonly childCells = new Map<string, ActorCell<unknown>>();
  private readonly timers = new Map<string, TimerHandle>();
  /** Times of recent restarts, for the budget. */
  private restartTimes: number[] = [];
  processed = 0;

  constructor(
    readonly system: ActorSystem,
    readonly path: string,
    readonly props: Props<M>,
    readonly parentCell: ActorCell<unknown> | undefined,
  ) {
    this.self = new ActorRef<M>(system, { system: system.name, path });
    this.mailboxOptions = { ...runtimeDefaults.mailbox, ...props.mailbox };
    this.mailbox = new Mailbox(this.mailboxOptions.capacity);
    this.actor = props.create();
  }

  /** Runs preStart; the system calls it once the cell is registered, so preStart may message itself. */
  start(): void {
    this.startInstance();
  }

  // ---- ActorContext -------------------------------------------------------

  get sender(): ActorRef<unknown> | undefined {
    const s = this.current?.sender;
    return s === undefined ? undefined : new ActorRef(this.system, s);
  }
  get parent(): ActorRef<unknown> | undefined {
    return this.parentCell?.self;
  }
  get clock() {
    return this.system.clock;
  }
  get random() {
    return this.system.random;
  }
  get log() {
    return this.system.log;
  }

  spawn<C>(props: Props<C>, name: string): ActorRef<C> {
    checkName('actor', name);
    const cell = this.system.createCell(props, `${this.path}/${name}`, this as ActorCell<unknown>);
    this.childCells.set(name, cell as ActorCell<unknown>);
    return cell.self;
  }

  stop(child: ActorRef<unknown>): void {
    this.system.stop(child);
  }

  reply(message: unknown): void {
    const sender = this.current?.sender;
    if (sender === undefined) {
      this.system.log.log('warn', 'reply with no sender', { actor: this.path });
      return;
    }
    this.system.send(sender, message, this.self.address);
  }

  startTimer(key: string, delayMs: number, message: M, options: TimerOptions = {}): void {
    this.cancelTimer(key);
    const fire = (): void => {
      if (this.state === 'stopped') return;
      if (options.repeat) this.timers.set(key, this.system.clock.setTimeout(fire, delayMs));
      else this.timers.delete(key);
      this.system.deliverLocal(this as ActorCell<unknown>, { message, sender: undefined });
    };
    this.timers.set(key, this.system.clock.setTimeout(fire, delayMs));
  }

  cancelTimer(key: string): void {
    const handle = this.timers.get(key);
    if (handle !== undefined) {
      this.system.clock.clearTimeout(handle);
      this.timers.delete(key);
    }
  }

  children(): ActorRef<unknown>[] {
    return [...this.childCells.values()].map((c) => c.self);
  }

  // ---- runtime side --------------------------------------------------------

  get isStopped(): boolean {
    return this.state === 'stopped';
  }

  /** Queue a message; the system has already applied the overflow policy. */
  enqueue(envelope: Envelope): void {
    this.mailbox.push(envelope);
    this.scheduleIfReady();
  }

  run(budget: number): number {
    this.scheduled = false;
    let handled = 0;
    while (handled < budget && this.state === 'running') {
      const envelope = this.mailbox.shift();
      if (envelope === undefined) break;
      handled++;
      this.processed++;
      this.current = envelope;
      let result: void | Promise<void>;
      try {
        result = this.actor.receive(envelope.message as M, this);
      } catch (error) {
        this.current = undefined;
        this.fail(error);
        break;
      }
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        this.awaitTurn(result as Promise<void>);
        break;
      }
      this.current = undefined;
    }
    this.scheduleIfReady();
    return handled;
  }

  private awaitTurn(pending: Promise<void>): void {
    this.state = 'busy';
    pending.then(
      () => {
        this.current = undefined;
        if (this.state !== 'busy') return;
        this.state = 'running';
        this.scheduleIfReady();
      },
      (error: unknown) => {
        this.current = undefined;
        if (this.state !== 'busy') return;
        this.fail(error);
      },
    );
  }

  private scheduleIfReady(): void {
    if (!this.scheduled && this.state === 'running' && this.mailbox.size > 0) {
      this.scheduled = true;
      this.system.dispatcher.schedule(this);
    }
  }

  private startInstance(): void {
    if (this.actor.preStart === undefined) return;
    let result: void | Promise<void>;
    try {
      result = this.actor.preStart(this);
    } catch (error) {
      // A failure in preStart is handled like any other: after the constructor returns.
      this.state = 'suspended';
      queueMicrotask(() => this.fail(error));
      return;
    }
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      this.awaitTurn(result as Promise<void>);
    }
  }

  /** The actor failed: suspend it and let the parent's strategy decide. */
  private fail(error: unknown): void {
    if (this.state === 'stopped') return;
    this.state = 'suspended';
    const strategy = this.parentCell?.props.supervisor ?? this.system.guardianStrategy;
    let directive: Directive;
    try {
      directive = strategy.decide(error);
    } catch {
      directive = 'escalate';
    }
    this.system.log.log('warn', 'actor failed', {
      actor: this.path,
      directive,
      error: error instanceof Error ? error.message : String(error),
    });
    switch (directive) {
      case 'resume':
        this.state = 'running';
        this.scheduleIfReady();
        return;
      case 'restart':
        if (this.withinBudget(strategy)) this.restart(error);
        else this.giveUp(strategy, error);
        return;
      case 'stop':
        this.system.stopCell(this as ActorCell<unknown>);
        return;
      case 'escalate':
        this.system.stopCell(this as ActorCell<unknown>);
        this.parentCell?.fail(error);
        return;
    }
  }

  private withinBudget(strategy: SupervisorStrategy): boolean {
    const now = this.system.clock.now();
    this.restartTimes = this.restartTimes.filter((t) => now - t < strategy.withinMs);
    if (this.restartTimes.length >= strategy.maxRestarts) return false;
    this.restartTimes.push(now);
    return true;
  }

  private giveUp(strategy: SupervisorStrategy, error: unknown): void {
    this.system.log.log('error', 'restart budget exhausted; actor stopped', {
      actor: this.path,
      maxRestarts: strategy.maxRestarts,
      withinMs: strategy.withinMs,
    });
    this.system.stopCell(this as ActorCell<unknown>);
    this.parentCell?.fail(new RestartBudgetExceededError(this.path, strategy.maxRestarts, strategy.withinMs, error));
  }

  private restart(error: unknown): void {
    this.system.log.log('warn', 'actor restarted', {
      actor: this.path,
      restartsInWindow: this.restartTimes.length,
      error: error instanceof Error ? error.message : String(error),
    });
    this.stopChildrenAndTimers();
    this.callPostStop();
    this.actor = this.props.create();
    this.state = 'running';
    this.startInstance();
    this.scheduleIfReady();
  }

  private stopChildrenAndTimers(): void {
    for (const child of [...this.childCells.values()]) this.system.stopCell(child);
    for (const handle of this.timers.values()) this.system.clock.clearTimeout(handle);
    this.timers.clear();
  }

  private callPostStop(): void {
    try {
      this.actor.postStop?.(this);
    } catch (error) {
      this.system.log.log('error', 'postStop threw', { actor: this.path, error: String(error) });
    }
  }

  /**
   * A crash, not a stop: the actor just ceases — no postStop, no children
   * notified, queued messages gone — as when its process dies.
   */
  halt(): void {
    for (const handle of this.timers.values()) this.system.clock.clearTimeout(handle);
    this.timers.clear();
    this.state = 'stopped';
    this.mailbox.drain();
  }

  /** Called by the system only. Returns the messages still queued (they become dead letters). */
  terminate(): Envelope[] {
    if (this.state === 'stopped') return [];
    this.stopChildrenAndTimers();
    this.state = 'stopped';
    this.callPostStop();
    this.parentCell?.childCells.delete(this.path.slice(this.path.lastIndexOf('/') + 1));
    return this.mailbox.drain();
  }
}
