import { formatAddress, type Address } from './address.js';
import type { ActorSystem } from './actor-system.js';

export interface AskOptions {
  /** Mandatory: an ask without a deadline is a leak waiting to happen. */
  timeoutMs: number;
}

/**
 * The address of an actor and the means to reach it. A ref works the same
 * whether its actor is in this thread, another worker thread, another process
 * or another host: the system routes by the address's system name.
 */
export class ActorRef<M = unknown> {
  constructor(
    /** The system this ref sends through (the one that holds the ref, not the target's). */
    readonly via: ActorSystem,
    readonly address: Address,
  ) {}

  /** Fire-and-forget. `sender` lets the receiver `reply`. */
  tell(message: M, sender?: ActorRef<unknown>): void {
    this.via.send(this.address, message, sender?.address);
  }

  /** Request/response; rejects with AskTimeoutError after `timeoutMs`. */
  ask<R = unknown>(message: M, options: AskOptions): Promise<R> {
    return this.via.ask<R>(this.address, message, options.timeoutMs);
  }

  equals(other: ActorRef<unknown>): boolean {
    return this.address.system === other.address.system && this.address.path === other.address.path;
  }

  toString(): string {
    return formatAddress(this.address);
  }
}
