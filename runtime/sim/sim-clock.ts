import type { Clock, TimerHandle } from '../clock.js';
import type { EventQueue, SimEvent } from './event-queue.js';

/** Shared virtual time of one simulation. */
export class VirtualTime {
  nowMs = 0;
}

/**
 * A node's clock in the simulator: virtual time, timers as events on the
 * simulation's queue. A clock belongs to one incarnation of a node; once the
 * node crashes its timers never fire.
 */
export class SimClock implements Clock {
  private nextId = 1;
  private readonly cancelled = new Set<number>();
  private alive = true;

  constructor(
    private readonly time: VirtualTime,
    private readonly queue: EventQueue,
  ) {}

  now(): number {
    return this.time.nowMs;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.queue.push(this.time.nowMs + Math.max(0, delayMs), () => {
      if (!this.alive || this.cancelled.delete(id)) return;
      callback();
    });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.cancelled.add(handle.id);
  }

  /** The node crashed: none of its timers fire any more. */
  kill(): void {
    this.alive = false;
  }
}

export type { SimEvent };
