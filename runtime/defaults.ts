import type { SupervisorStrategy } from './actor.js';
import type { MailboxOptions } from './mailbox.js';

/**
 * Runtime defaults, each with its reason. Change them here, not at call sites.
 */
export const runtimeDefaults = {
  /** Large enough that bursts (a Raft append batch, a client fan-in) never hit it; small enough to bound memory per actor (~100 B per queued envelope). */
  mailbox: { capacity: 100_000, overflow: 'reject' } satisfies MailboxOptions as MailboxOptions,
  /** Messages one actor handles before the dispatcher moves to the next ready actor: fairness without losing batching. */
  throughputPerTurn: 64,
  /** Messages the dispatcher handles before yielding to the event loop, so I/O and timers are not starved by a busy actor mesh. */
  messagesPerYield: 4096,
  /** Recent dead letters kept for inspection (`deadLetters.recent`). */
  deadLetterHistory: 100,
  /** Akka/OTP-style default: restart a failed child, but give up after 10 restarts in a minute (a crash loop is a bug, not a transient). */
  supervisor: {
    maxRestarts: 10,
    withinMs: 60_000,
    decide: () => 'restart',
  } satisfies SupervisorStrategy as SupervisorStrategy,
} as const;
