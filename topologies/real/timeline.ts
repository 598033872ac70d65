// Plays a topology's timeline against a running cluster: each event at its
// time after the workload started, one after another (an event that takes a
// while, like a restart, delays the ones queued behind it), each recorded.
import type { ResolvedEvent } from '../resolve.js';
import type { EventRecord } from '../records.js';
import type { TimelineEvent } from '../schema.js';

/** What the timeline does to the cluster. */
export interface TimelineTarget {
  apply(event: TimelineEvent): Promise<string | void>;
}

export class TimelinePlayer {
  private timers: NodeJS.Timeout[] = [];
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Events not yet applied (scheduled, or queued behind a slow one). */
  private readonly pending = new Set<ResolvedEvent>();

  constructor(
    private readonly events: ResolvedEvent[],
    private readonly target: TimelineTarget,
    private readonly variant: string,
    private readonly sink: (r: EventRecord) => void,
    /** Seconds since the workload started. */
    private readonly elapsedS: () => number,
  ) {}

  /** Schedules every event relative to now (t = 0). */
  start(): void {
    for (const e of this.events) {
      this.pending.add(e);
      this.timers.push(setTimeout(() => (this.chain = this.chain.then(() => this.play(e))), e.atMs));
    }
  }

  private async play(e: ResolvedEvent): Promise<void> {
    if (this.stopped) return;
    this.pending.delete(e);
    const t = this.elapsedS();
    try {
      const detail = await this.target.apply(e.event);
      this.sink({ type: 'event', variant: this.variant, t, event: e.label, detail: detail ?? e.label, ok: true });
    } catch (error) {
      this.sink({ type: 'event', variant: this.variant, t, event: e.label, detail: e.label, ok: false, error: (error as Error).message });
    }
  }

  /** Cancels what has not started (recorded as not applied); waits for an event in progress. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    await this.chain;
    const t = this.elapsedS();
    for (const e of this.pending) {
      this.sink({ type: 'event', variant: this.variant, t, event: e.label, detail: `${e.label} (due at ${e.atMs / 1000} s)`, ok: false, error: 'not applied: the workload ended first' });
    }
    this.pending.clear();
  }
}
