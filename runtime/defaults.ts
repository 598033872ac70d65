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
  /** Envelopes in one link batch before it is flushed without waiting for the microtask: bounds one frame's size and the receiver's decode pause. */
  maxEnvelopesPerBatch: 4096,
  /** Largest TCP frame accepted or sent (4 MiB): room for a batch of SSTable blocks, yet a malformed or hostile length prefix cannot make a node buffer gigabytes. */
  maxFrameBytes: 4 * 1024 * 1024,
  /** Largest frame before a TCP peer is authenticated: handshake frames are ~100 bytes, so anything bigger is refused early. */
  maxHandshakeFrameBytes: 1024,
  /** A TCP peer that has not completed the handshake by then is dropped, so half-open connections cannot pile up. */
  handshakeTimeoutMs: 5_000,
  /** Accepted connections still in the handshake at once; more are refused, so a connection flood cannot exhaust memory before anyone is authenticated. */
  maxPendingHandshakes: 64,
  /** First reconnect delay after a TCP link drops; doubles per failed attempt. */
  reconnectBaseMs: 100,
  /** Reconnect delay ceiling: a restarted peer is found within seconds without hammering a dead one. */
  reconnectMaxMs: 5_000,
  /** After closing a TCP link, how long the peer gets to close its side before the socket is destroyed. */
  tcpCloseGraceMs: 1_000,
  /** Unsent bytes a TCP socket may hold before its link stops writing and queues (bounded) instead: a slow peer cannot make us buffer without limit, yet a burst of full frames fits. */
  maxSocketBufferBytes: 64 * 1024 * 1024,
  /** Envelopes a TCP link holds while reconnecting (~100 B each, so ~1 MB); beyond that, sends fail fast to dead letters as unreachable. */
  maxQueuedWhileDisconnected: 10_000,
  /** Recent dead letters kept for inspection (`deadLetters.recent`). */
  deadLetterHistory: 100,
  /** Akka/OTP-style default: restart a failed child, but give up after 10 restarts in a minute (a crash loop is a bug, not a transient). */
  supervisor: {
    maxRestarts: 10,
    withinMs: 60_000,
    decide: () => 'restart',
  } satisfies SupervisorStrategy as SupervisorStrategy,
} as const;
