import type { Address } from './address.js';
import { runtimeDefaults } from './defaults.js';

export type DeadLetterReason = 'no-such-actor' | 'stopped' | 'mailbox-full' | 'dropped-oldest' | 'unreachable';

export interface DeadLetter {
  to: Address;
  sender: Address | undefined;
  message: unknown;
  reason: DeadLetterReason;
}

/** Messages that could not be delivered: counted, kept (the last few) and observable. */
export class DeadLetters {
  total = 0;
  readonly byReason: Record<DeadLetterReason, number> = {
    'no-such-actor': 0,
    stopped: 0,
    'mailbox-full': 0,
    'dropped-oldest': 0,
    unreachable: 0,
  };
  readonly recent: DeadLetter[] = [];
  private readonly listeners = new Set<(letter: DeadLetter) => void>();

  publish(letter: DeadLetter): void {
    this.total++;
    this.byReason[letter.reason]++;
    this.recent.push(letter);
    if (this.recent.length > runtimeDefaults.deadLetterHistory) this.recent.shift();
    for (const listener of this.listeners) listener(letter);
  }

  /** Returns the function that unsubscribes. */
  subscribe(listener: (letter: DeadLetter) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
