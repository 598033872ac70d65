// Actor factories for the transport tests: spawned by name in worker threads
// (WorkerHost.spawn) and in other processes, so they live in a module of their own.
import type { Props } from './actor.js';
import type { ActorRef } from './actor-ref.js';

/** Replies to every message with the message itself. */
export function echo(): Props<unknown> {
  return { create: () => ({ receive: (message, ctx) => ctx.reply(message) }) };
}

export type CollectorMessage = { kind: 'get' } | { kind: 'item'; value: unknown };

/** Keeps every `item`; `get` replies with all of them in arrival order. */
export function collector(): Props<CollectorMessage> {
  return {
    create: () => {
      const seen: unknown[] = [];
      return {
        receive(message, ctx) {
          if (message.kind === 'get') ctx.reply(seen);
          else seen.push(message.value);
        },
      };
    },
  };
}

export type ForwarderMessage =
  | { kind: 'tell'; to: ActorRef<unknown>; message: unknown }
  | { kind: 'ask'; to: ActorRef<unknown>; message: unknown; timeoutMs: number };

/** Uses refs that arrived inside messages: tells them, or asks them and replies with the answer (or the error's code). */
export function forwarder(): Props<ForwarderMessage> {
  return {
    create: () => ({
      async receive(message, ctx) {
        if (message.kind === 'tell') {
          message.to.tell(message.message, ctx.self);
          return;
        }
        const replyTo = ctx.sender;
        try {
          const answer = await message.to.ask(message.message, { timeoutMs: message.timeoutMs });
          replyTo?.tell({ ok: answer });
        } catch (error) {
          replyTo?.tell({ error: (error as { code?: string }).code ?? String(error) });
        }
      },
    }),
  };
}
