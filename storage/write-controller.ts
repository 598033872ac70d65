import type { Clock } from '../runtime/clock.js';

export type StallCause = 'memtable-limit' | 'l0-file-count' | 'pending-compaction-bytes';
export type StallCondition = 'normal' | 'delayed' | 'stopped';

export interface WriteStallState {
  condition: StallCondition;
  cause: StallCause | null;
}

export interface StallInputs {
  /** Immutable memtables not yet flushed (RocksDB imm()->NumNotFlushed()). */
  unflushedMemtables: number;
  l0Files: number;
  pendingCompactionBytes: number;
}

export interface StallOptions {
  maxWriteBufferNumber: number;
  level0SlowdownWritesTrigger: number;
  level0StopWritesTrigger: number;
  softPendingCompactionBytesLimit: number;
  hardPendingCompactionBytesLimit: number;
  /** RocksDB min_write_buffer_number_to_merge (1: flush every memtable on its own). */
  minWriteBufferNumberToMerge?: number;
  disableAutoCompactions?: boolean;
}

/** RocksDB's ColumnFamilyData::GetWriteStallConditionAndCause, rule for rule, in its order. */
export function computeWriteStall(s: StallInputs, o: StallOptions): WriteStallState {
  const auto = !(o.disableAutoCompactions ?? false);
  const minMerge = o.minWriteBufferNumberToMerge ?? 1;
  if (s.unflushedMemtables >= o.maxWriteBufferNumber) return { condition: 'stopped', cause: 'memtable-limit' };
  if (auto && s.l0Files >= o.level0StopWritesTrigger) return { condition: 'stopped', cause: 'l0-file-count' };
  if (auto && o.hardPendingCompactionBytesLimit > 0 && s.pendingCompactionBytes >= o.hardPendingCompactionBytesLimit) {
    return { condition: 'stopped', cause: 'pending-compaction-bytes' };
  }
  if (o.maxWriteBufferNumber > 3 && s.unflushedMemtables >= o.maxWriteBufferNumber - 1 && s.unflushedMemtables - 1 >= minMerge) {
    return { condition: 'delayed', cause: 'memtable-limit' };
  }
  if (auto && o.level0SlowdownWritesTrigger >= 0 && s.l0Files >= o.level0SlowdownWritesTrigger) {
    return { condition: 'delayed', cause: 'l0-file-count' };
  }
  if (auto && o.softPendingCompactionBytesLimit > 0 && s.pendingCompactionBytes >= o.softPendingCompactionBytesLimit) {
    return { condition: 'delayed', cause: 'pending-compaction-bytes' };
  }
  return { condition: 'normal', cause: null };
}

export interface StallStats {
  totalMs: number;
  delayedMs: number;
  stoppedMs: number;
  byCauseMs: Record<StallCause, number>;
  /** Times the engine entered a delayed or stopped state. */
  delayedCount: number;
  stoppedCount: number;
  condition: StallCondition;
  cause: StallCause | null;
  delayedWriteRateBytesPerSec: number;
}

export interface RateOptions {
  delayedWriteRateBytesPerSec: number;
  minDelayedWriteRateBytesPerSec: number;
  slowdownRateDecreaseRatio: number;
  delayRefillIntervalMs: number;
}

/**
 * Holds the stall state and the delayed write rate, and turns a write of N
 * bytes into a wait. The rate adapts as RocksDB's SetupDelay does: slower while
 * compaction debt grows, faster while it shrinks, slower still near the L0
 * stop trigger, and a recovery bonus right after a stop.
 */
export class WriteController {
  private state: WriteStallState = { condition: 'normal', cause: null };
  private rate: number;
  private prevPending = 0;
  /** Monotonic time (ms) at which the delayed-write budget is next free. */
  private nextFreeMs = 0;
  private stallStartMs = -1;
  private stallKind: { condition: StallCondition; cause: StallCause } | null = null;
  private readonly stats = {
    delayedMs: 0,
    stoppedMs: 0,
    byCauseMs: { 'memtable-limit': 0, 'l0-file-count': 0, 'pending-compaction-bytes': 0 } as Record<StallCause, number>,
    delayedCount: 0,
    stoppedCount: 0,
  };

  constructor(private readonly clock: Clock, private readonly o: StallOptions & RateOptions) {
    this.rate = o.delayedWriteRateBytesPerSec;
  }

  get current(): WriteStallState {
    return this.state;
  }

  get delayedWriteRate(): number {
    return this.rate;
  }

  /** Recomputes the state after a flush, compaction or memtable switch. */
  update(inputs: StallInputs): WriteStallState {
    const next = computeWriteStall(inputs, this.o);
    const prev = this.state;
    if (next.condition === 'delayed') {
      const max = this.o.delayedWriteRateBytesPerSec;
      let rate = this.rate;
      if (prev.condition === 'stopped') rate = rate * 1.4;
      else if (prev.condition === 'normal') rate = max;
      else if (inputs.pendingCompactionBytes > this.prevPending) rate *= this.o.slowdownRateDecreaseRatio;
      else if (inputs.pendingCompactionBytes < this.prevPending) rate /= this.o.slowdownRateDecreaseRatio;
      if (next.cause === 'l0-file-count' && inputs.l0Files >= this.o.level0StopWritesTrigger - 2) rate *= 0.6;
      this.rate = Math.max(this.o.minDelayedWriteRateBytesPerSec, Math.min(max, rate));
      if (prev.condition !== 'delayed') this.stats.delayedCount++;
    } else if (next.condition === 'stopped' && prev.condition !== 'stopped') {
      this.stats.stoppedCount++;
    }
    if (next.condition === 'normal') this.nextFreeMs = 0;
    this.prevPending = inputs.pendingCompactionBytes;
    this.state = next;
    return next;
  }

  /** Milliseconds a write of `bytes` must wait under the delayed rate (0 if it may go now). */
  delayFor(bytes: number): number {
    if (this.state.condition !== 'delayed') return 0;
    const now = this.clock.now();
    const start = Math.max(now, this.nextFreeMs);
    this.nextFreeMs = start + (bytes * 1000) / this.rate;
    const wait = this.nextFreeMs - now;
    // Sleep only in whole refill slices, as RocksDB does; smaller debts are carried.
    return wait >= this.o.delayRefillIntervalMs ? wait : 0;
  }

  /** Writers call these around the time they are held back. */
  beginStall(condition: StallCondition, cause: StallCause): void {
    if (this.stallStartMs >= 0) return;
    this.stallStartMs = this.clock.now();
    this.stallKind = { condition, cause };
  }

  endStall(): void {
    if (this.stallStartMs < 0 || this.stallKind === null) return;
    const ms = this.clock.now() - this.stallStartMs;
    if (this.stallKind.condition === 'stopped') this.stats.stoppedMs += ms;
    else this.stats.delayedMs += ms;
    this.stats.byCauseMs[this.stallKind.cause] += ms;
    this.stallStartMs = -1;
    this.stallKind = null;
  }

  snapshot(): StallStats {
    const live = this.stallStartMs >= 0 && this.stallKind !== null ? this.clock.now() - this.stallStartMs : 0;
    const byCauseMs = { ...this.stats.byCauseMs };
    let delayedMs = this.stats.delayedMs;
    let stoppedMs = this.stats.stoppedMs;
    if (live > 0 && this.stallKind !== null) {
      byCauseMs[this.stallKind.cause] += live;
      if (this.stallKind.condition === 'stopped') stoppedMs += live;
      else delayedMs += live;
    }
    return {
      totalMs: delayedMs + stoppedMs,
      delayedMs,
      stoppedMs,
      byCauseMs,
      delayedCount: this.stats.delayedCount,
      stoppedCount: this.stats.stoppedCount,
      condition: this.state.condition,
      cause: this.state.cause,
      delayedWriteRateBytesPerSec: this.rate,
    };
  }
}
