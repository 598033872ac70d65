import { InvalidArgumentError } from './errors.js';

/**
 * What a full mailbox does with a new message: `reject` refuses it (the sender
 * gets a MailboxFullError), `drop-oldest` makes room by discarding the oldest
 * queued message to dead letters.
 */
export type OverflowPolicy = 'reject' | 'drop-oldest';

export interface MailboxOptions {
  capacity: number;
  overflow: OverflowPolicy;
}

/** A FIFO ring buffer with a hard capacity; grows its storage lazily up to it. */
export class Mailbox<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new InvalidArgumentError(`mailbox capacity must be a positive integer, got ${capacity}`);
    }
    this.items = new Array(Math.min(capacity, 64));
  }

  get size(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.capacity;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return item;
  }

  drain(): T[] {
    const out: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item);
    return out;
  }

  private grow(): void {
    const next = new Array<T | undefined>(Math.min(this.capacity, this.items.length * 2));
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}
