import type { Clock, TimerHandle } from '../../runtime/clock.js';

/** A clock tests move by hand; timers fire in time order when it is advanced. */
export class ManualClock implements Clock {
  private t = 0;
  private nextId = 1;
  private timers: { id: number; at: number; cb: () => void }[] = [];

  now(): number {
    return this.t;
  }
  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.push({ id, at: this.t + Math.max(0, delayMs), cb: callback });
    return { id };
  }
  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle.id);
  }
  get pendingTimers(): number {
    return this.timers.length;
  }
  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (next === undefined || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.cb();
    }
    this.t = end;
  }
}
