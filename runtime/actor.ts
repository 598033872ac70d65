import type { ActorRef } from './actor-ref.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { MailboxOptions } from './mailbox.js';
import type { Random } from './random.js';

/**
 * An actor handles one message at a time. `receive` may return a promise; the
 * next message is not handled until it settles. A throw (or a rejection) is a
 * failure that the parent's supervisor strategy handles.
 */
export interface Actor<M = unknown> {
  receive(message: M, context: ActorContext<M>): void | Promise<void>;
  /** After creation and after each restart, before the first message. */
  preStart?(context: ActorContext<M>): void | Promise<void>;
  /** After the actor stopped or before it is replaced by a restart. */
  postStop?(context: ActorContext<M>): void;
}

export type Directive = 'restart' | 'resume' | 'stop' | 'escalate';

/**
 * How a parent treats a failing child (Akka's OneForOneStrategy, OTP's
 * one_for_one): `decide` picks the directive; more than `maxRestarts` restarts
 * within `withinMs` exhausts the budget, and the child is stopped and the
 * failure escalated.
 */
export interface SupervisorStrategy {
  maxRestarts: number;
  withinMs: number;
  decide(error: unknown): Directive;
}

export interface Props<M = unknown> {
  /** Called for the first instance and again on every restart. */
  create(): Actor<M>;
  mailbox?: Partial<MailboxOptions>;
  /** How this actor supervises its own children. */
  supervisor?: SupervisorStrategy;
}

export interface TimerOptions {
  /** Fire every `delayMs` until cancelled, rather than once. */
  repeat?: boolean;
}

export interface ActorContext<M = unknown> {
  readonly self: ActorRef<M>;
  /** Who sent the message being handled, if the sender gave its address. */
  readonly sender: ActorRef<unknown> | undefined;
  readonly parent: ActorRef<unknown> | undefined;
  readonly clock: Clock;
  readonly random: Random;
  readonly log: Logger;
  spawn<C>(props: Props<C>, name: string): ActorRef<C>;
  stop(child: ActorRef<unknown>): void;
  /** Answer the sender of the current message (an `ask` or a tell with a sender). */
  reply(message: unknown): void;
  /** Sends `message` to self after `delayMs`; a timer with the same key is replaced. */
  startTimer(key: string, delayMs: number, message: M, options?: TimerOptions): void;
  cancelTimer(key: string): void;
  children(): ActorRef<unknown>[];
}
