// Actors of the `up` demo; spawned by factory name in worker threads.
import type { Props } from '../runtime/actor.js';
import type { ActorRef } from '../runtime/actor-ref.js';

export type PingerMessage = { kind: 'start'; target: ActorRef<PongerMessage> } | { kind: 'pong'; n: number } | { kind: 'report' };
export type PongerMessage = { kind: 'ping'; n: number };

/** Keeps one ping in flight to its target and counts the round trips; `report` answers (and resets) the count. */
export function pinger(): Props<PingerMessage> {
  return {
    create: () => {
      let target: ActorRef<PongerMessage> | undefined;
      let roundTrips = 0;
      return {
        receive(message, ctx) {
          switch (message.kind) {
            case 'start':
              target = message.target;
              target.tell({ kind: 'ping', n: 0 }, ctx.self);
              return;
            case 'pong':
              roundTrips++;
              target?.tell({ kind: 'ping', n: message.n + 1 }, ctx.self);
              return;
            case 'report':
              ctx.reply(roundTrips);
              roundTrips = 0;
              return;
          }
        },
      };
    },
  };
}

/** Answers every ping with a pong to its sender. */
export function ponger(): Props<PongerMessage> {
  return { create: () => ({ receive: (message, ctx) => ctx.reply({ kind: 'pong', n: message.n }) }) };
}
