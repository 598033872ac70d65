import { runtimeDefaults } from './defaults.js';

/** Something with queued work: handles up to `budget` messages, returns how many it handled. */
export interface Runnable {
  run(budget: number): number;
}

/**
 * Runs ready actors in FIFO order on the microtask queue, `throughputPerTurn`
 * messages each before the next actor gets a turn. In the real system it
 * yields to the event loop every `messagesPerYield` messages so sockets and
 * timers keep flowing; the simulator turns that off so a run is a pure
 * function of its seed.
 */
export class Dispatcher {
  private queue: Runnable[] = [];
  private head = 0;
  private pending = false;

  constructor(private readonly yieldToEventLoop: boolean) {}

  schedule(runnable: Runnable): void {
    this.queue.push(runnable);
    if (!this.pending) {
      this.pending = true;
      queueMicrotask(this.drain);
    }
  }

  private readonly drain = (): void => {
    let handled = 0;
    while (this.head < this.queue.length) {
      const runnable = this.queue[this.head++]!;
      handled += runnable.run(runtimeDefaults.throughputPerTurn);
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      if (this.yieldToEventLoop && handled >= runtimeDefaults.messagesPerYield) {
        setImmediate(this.drain);
        return;
      }
    }
    this.queue = [];
    this.head = 0;
    this.pending = false;
  };
}
