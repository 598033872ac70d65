// Actors of the runtime benchmark. Spawned by factory name in worker threads
// and in the peer process, so they live in a module of their own.
import type { Props } from '../../runtime/actor.js';
import type { ActorRef } from '../../runtime/actor-ref.js';

export type ConsumerMessage = number | { kind: 'begin'; producer: ActorRef<ProducerMessage>; ackEvery: number };

/** Counts tells; every `ackEvery` of them it grants the producer more credit. */
export function consumer(): Props<ConsumerMessage> {
  return {
    mailbox: { capacity: 1_000_000 },
    create: () => {
      let producer: ActorRef<ProducerMessage> | undefined;
      let ackEvery = 1;
      let count = 0;
      return {
        receive(message) {
          if (typeof message === 'number') {
            if (++count % ackEvery === 0) producer?.tell({ kind: 'ack', count });
            return;
          }
          producer = message.producer;
          ackEvery = message.ackEvery;
          count = 0;
        },
      };
    },
  };
}

export type ProducerMessage =
  | { kind: 'run'; target: ActorRef<ConsumerMessage>; count: number; window: number; ackEvery: number }
  | { kind: 'ack'; count: number };

export interface TellRunResult {
  count: number;
  elapsedMs: number;
}

/**
 * Sends `count` tells to `target`, keeping at most `window` unacknowledged
 * (credit-based flow control, so mailboxes and link queues stay bounded), and
 * replies with the elapsed time once the consumer acknowledged the last one.
 */
export function producer(): Props<ProducerMessage> {
  return {
    create: () => {
      let run: { target: ActorRef<ConsumerMessage>; count: number; window: number; replyTo: ActorRef<unknown> | undefined } | undefined;
      let sent = 0;
      let startMs = 0;
      const pump = (acked: number): void => {
        const r = run!;
        const limit = Math.min(r.count, acked + r.window);
        const target = r.target;
        while (sent < limit) target.tell(sent++);
      };
      return {
        receive(message, ctx) {
          if (message.kind === 'run') {
            run = { target: message.target, count: message.count, window: message.window, replyTo: ctx.sender };
            sent = 0;
            startMs = performance.now();
            message.target.tell({ kind: 'begin', producer: ctx.self, ackEvery: message.ackEvery });
            pump(0);
            return;
          }
          if (run === undefined) return;
          if (message.count >= run.count) {
            const result: TellRunResult = { count: run.count, elapsedMs: performance.now() - startMs };
            run.replyTo?.tell(result);
            run = undefined;
            return;
          }
          pump(message.count);
        },
      };
    },
  };
}

/** Replies with what it got. */
export function echo(): Props<unknown> {
  return { create: () => ({ receive: (message, ctx) => ctx.reply(message) }) };
}

export interface PingRun {
  target: ActorRef<unknown>;
  count: number;
  warmup: number;
}

export interface PingResult {
  count: number;
  elapsedMs: number;
  /** Round-trip times in microseconds, sorted. */
  p50Us: number;
  p99Us: number;
  meanUs: number;
}

/** Asks `target` one at a time, `warmup + count` times, and replies with the round-trip distribution of the last `count`. */
export function pinger(): Props<PingRun> {
  return {
    create: () => ({
      async receive(run, ctx) {
        const replyTo = ctx.sender;
        const samples = new Float64Array(run.count);
        for (let i = 0; i < run.warmup; i++) await run.target.ask(i, { timeoutMs: 10_000 });
        const start = performance.now();
        for (let i = 0; i < run.count; i++) {
          const t0 = performance.now();
          await run.target.ask(i, { timeoutMs: 10_000 });
          samples[i] = performance.now() - t0;
        }
        const elapsedMs = performance.now() - start;
        samples.sort();
        const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]! * 1000;
        const result: PingResult = { count: run.count, elapsedMs, p50Us: at(0.5), p99Us: at(0.99), meanUs: (elapsedMs * 1000) / run.count };
        replyTo?.tell(result);
      },
    }),
  };
}
