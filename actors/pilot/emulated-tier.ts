import type { Clock } from '../../runtime/clock.js';
import type { CompactionJobInput, CompactionJobOutput } from '../../storage/compaction-job.js';
import type { FlushJobInput, FlushJobOutput } from '../../storage/flush-job.js';
import type { StorageJobRunner } from '../../storage/job-runner.js';
import type { TierSpec } from './tier.js';

export interface TimedCompaction {
  output: CompactionJobOutput;
  /** Emulated merge time on this node (the real merge stretched by tier and contention). */
  computeMs: number;
}

export interface TierLoad {
  cores: number;
  /** Cores held by the co-located load generator. */
  loadThreads: number;
  runningMerges: number;
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
  private readonly waiting: Array<() => void> = [];
  busyMs = 0;

  constructor(
    private readonly inner: StorageJobRunner,
    readonly tier: TierSpec,
    private readonly clock: Clock,
  ) {}

  setLoadThreads(n: number): void {
    this.load = Math.max(0, n);
  }

  status(): TierLoad {
    const busy = Math.min(this.tier.cores, 1 + this.load + this.running);
    return {
      cores: this.tier.cores,
      loadThreads: this.load,
      runningMerges: this.running,
      queuedMerges: this.waiting.length,
      availableCores: this.tier.cores - 1 - this.load - this.running,
      loadPercent: (100 * busy) / this.tier.cores,
    };
  }

  async flush(input: FlushJobInput): Promise<FlushJobOutput> {
    const t0 = this.clock.now();
    const out = await this.inner.flush(input);
    await sleep(this.clock, (this.stretch(0) - 1) * (this.clock.now() - t0));
    return out;
  }

  async compact(input: CompactionJobInput): Promise<CompactionJobOutput> {
    return (await this.compactTimed(input)).output;
  }

  async compactTimed(input: CompactionJobInput): Promise<TimedCompaction> {
    if (this.running >= this.tier.cores) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      const t0 = this.clock.now();
      const output = await this.inner.compact(input);
      const realMs = this.clock.now() - t0;
      await sleep(this.clock, (this.stretch(this.running) - 1) * realMs);
      const computeMs = this.clock.now() - t0;
      this.busyMs += computeMs;
      return { output, computeMs };
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private stretch(running: number): number {
    const contention = Math.max(1, (this.load + running) / this.tier.cores);
    return contention / this.tier.speedFactor;
  }
}
