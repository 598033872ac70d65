import type { Clock } from '../../runtime/clock.js';
import type { CompactionJobInput, CompactionJobOutput } from '../../storage/compaction-job.js';
import type { FlushJobInput, FlushJobOutput } from '../../storage/flush-job.js';
import type { StorageJobRunner } from '../../storage/job-runner.js';
import type { TierSpec } from './tier.js';

export interface TimedCompaction {
  output: CompactionJobOutput;
  /** Emulated merge time on this node (the real merge stretched by tier and contention). */
  computeMs: number;
  /** Time the job waited for a free (emulated) core and for a real host thread before it ran. */
  waitMs: number;
}

export interface TierLoad {
  cores: number;
  /** Cores held by the co-located load generator. */
  loadThreads: number;
  runningMerges: number;
  /** Of the running merges, those run for other nodes (offloaded here). */
  runningForOthers: number;
  queuedMerges: number;
  /** cores − 1 (the LSM instance's own writes) − load threads − running merges; may go below 0. */
  availableCores: number;
  /** Busy cores / cores, in percent (what `top` would show for the node). */
  loadPercent: number;
}

function sleep(clock: Clock, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/**
 * The host's real merge threads, shared by every emulated node: a job waits
 * here for a thread before its time is measured, so queueing behind other
 * nodes' merges (an artifact of sharing one host) is not mistaken for this
 * node's merge time.
 */
export class HostCpu {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(readonly threads: number, private readonly clock: Clock) {
    this.free = threads;
  }
  async run<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      const t0 = this.clock.now();
      const value = await fn();
      return { value, ms: this.clock.now() - t0 };
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.free++;
    }
  }
}

/**
 * One node's CPU as emulated on a shared host. Merges run for real on the
 * wrapped runner (the shared piscina pool), then wait (stretch − 1) × their
 * measured time on the clock, where stretch = 1/speedFactor × contention and
 * contention = max(1, (load threads + running merges) / cores): a node whose
 * cores are all taken by `stress`-like threads time-shares them with its
 * merges. At most `cores` merges run at once; more queue. The load generator
 * burns nothing real: it holds emulated cores (reported to the monitor) and
 * stretches merges; that is the honest limit of a 2-core host.
 */
export class EmulatedTier implements StorageJobRunner {
  private load = 0;
  private running = 0;
  private runningForOthers = 0;
  private readonly waiting: Array<() => void> = [];
  /** Emulated merge time spent on this node's own merges and on merges received from others. */
  busyOwnMs = 0;
  busyForOthersMs = 0;
  /** Real (host) merge time and input bytes, for calibration. */
  realMergeMs = 0;
  mergeInputBytes = 0;
  merges = 0;
  hostWaitMs = 0;

  private readonly mergeCpu: HostCpu;
  private readonly flushCpu: HostCpu;

  constructor(
    private readonly inner: StorageJobRunner,
    readonly tier: TierSpec,
    private readonly clock: Clock,
    host?: { merge: HostCpu; flush: HostCpu },
    /**
     * Merge speed of a speedFactor-1 core in bytes per ms. When set, a merge
     * takes max(real time, bytes / (reference × speedFactor)): tiers have an
     * absolute speed and a noisy shared host changes them only when it is
     * slower than the tier. Unset: real time / speedFactor.
     */
    private readonly referenceBytesPerMs?: number,
  ) {
    // Unshared by default: plenty of threads, nothing to wait for.
    this.mergeCpu = host?.merge ?? new HostCpu(Number.MAX_SAFE_INTEGER, clock);
    this.flushCpu = host?.flush ?? new HostCpu(Number.MAX_SAFE_INTEGER, clock);
  }

  setLoadThreads(n: number): void {
    this.load = Math.max(0, n);
  }

  status(): TierLoad {
    const busy = Math.min(this.tier.cores, 1 + this.load + this.running);
    return {
      cores: this.tier.cores,
      loadThreads: this.load,
      runningMerges: this.running,
      runningForOthers: this.runningForOthers,
      queuedMerges: this.waiting.length,
      availableCores: this.tier.cores - 1 - this.load - this.running,
      loadPercent: (100 * busy) / this.tier.cores,
    };
  }

  /**
   * Flushes are not stretched: DESIGN.md emulates a tier by its merges, and
   * EdgePilot leaves flushes where they are (they are the memtable's own I/O).
   */
  async flush(input: FlushJobInput): Promise<FlushJobOutput> {
    return (await this.flushCpu.run(() => this.inner.flush(input))).value;
  }

  async compact(input: CompactionJobInput): Promise<CompactionJobOutput> {
    return (await this.compactTimed(input)).output;
  }

  async compactTimed(input: CompactionJobInput, forOther = false): Promise<TimedCompaction> {
    const queuedAt = this.clock.now();
    if (this.running >= this.tier.cores) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    if (forOther) this.runningForOthers++;
    let inputBytes = 0; // before the pool moves the buffers away
    for (const b of input.inputs) inputBytes += b.byteLength;
    try {
      const startedAt = this.clock.now();
      const { value: output, ms: realMs } = await this.mergeCpu.run(() => this.inner.compact(input));
      const waitMs = this.clock.now() - startedAt - realMs + (startedAt - queuedAt);
      const contention = Math.max(1, (this.load + this.running) / this.tier.cores);
      const computeMs =
        this.referenceBytesPerMs === undefined
          ? this.stretch(this.running) * realMs
          : contention * Math.max(realMs, inputBytes / (this.referenceBytesPerMs * this.tier.speedFactor));
      this.realMergeMs += realMs;
      this.merges++;
      this.mergeInputBytes += inputBytes;
      await sleep(this.clock, computeMs - realMs);
      if (forOther) this.busyForOthersMs += computeMs;
      else this.busyOwnMs += computeMs;
      return { output, computeMs, waitMs };
    } finally {
      this.running--;
      if (forOther) this.runningForOthers--;
      this.waiting.shift()?.();
    }
  }

  private stretch(running: number): number {
    const contention = Math.max(1, (this.load + running) / this.tier.cores);
    return contention / this.tier.speedFactor;
  }
}
