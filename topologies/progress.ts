// The live progress line of `edgekv run`: variant, phase (n of m), a bar for
// the phase's time, elapsed time, the last second's ops/s and errors, and the
// last timeline event. On a terminal it redraws one line; otherwise (CI, a
// pipe) it prints a plain line every few seconds.
import type { RunRecord } from './records.js';
import type { ResolvedPhase } from './resolve.js';

const barWidth = 24;
/** Without a terminal: one line per this many seconds of workload. */
const plainEveryS = 5;

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class ProgressBar {
  private variant = '';
  private phase: string | undefined;
  /** Start of the current phase's first second, in seconds since the workload started. */
  private phaseStartT = 0;
  /** Seconds since the workload started, as of the last tick (which covers [t, t + 1)). */
  private t = 0;
  private opsPerSec = 0;
  private errorsPerSec = 0;
  private lastEvent = '';
  private lastPlainT = -Infinity;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly phases: ResolvedPhase[],
    private readonly variants: number,
    private variantIndex = 0,
  ) {}

  /** A new variant starts (its records follow). */
  startVariant(name: string, index: number): void {
    this.variant = name;
    this.variantIndex = index;
    this.phase = undefined;
    this.lastEvent = '';
    this.lastPlainT = -Infinity;
  }

  record(r: RunRecord): void {
    if (r.type === 'tick') {
      if (r.phase !== this.phase) {
        this.phase = r.phase;
        this.phaseStartT = r.t;
      }
      this.t = r.t + 1;
      this.opsPerSec = r.opsPerSec;
      this.errorsPerSec = r.errorsPerSec;
      this.draw();
    } else if (r.type === 'event') {
      this.lastEvent = `${r.event}${r.ok ? '' : ' (failed)'}`;
      this.draw();
    }
  }

  /** A line of text above the bar. */
  line(text: string): void {
    this.clear();
    this.stream.write(`${text}\n`);
    this.draw();
  }

  /** Leaves the last state on screen and moves below it. */
  done(): void {
    if (this.drawn && this.stream.isTTY === true) this.stream.write('\n');
    this.drawn = false;
  }

  /** The text of the progress line (exported for tests). */
  render(): string {
    if (this.phase === undefined) return '';
    const index = this.phases.findIndex((p) => p.name === this.phase);
    const phase = this.phases[index];
    const phaseS = phase !== undefined ? phase.durationMs / 1000 : 0;
    const inPhase = Math.max(0, this.t - this.phaseStartT);
    const filled = phaseS > 0 ? Math.min(barWidth, Math.round((inPhase / phaseS) * barWidth)) : 0;
    const parts = [
      this.variants > 1 ? `${this.variant} (${this.variantIndex + 1}/${this.variants})` : this.variant,
      `${this.phase} (${index + 1}/${this.phases.length})`,
      `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`,
      `${inPhase.toFixed(0)}/${phaseS.toFixed(0)} s`,
      `t=${this.t.toFixed(0)} s`,
      `${Math.round(this.opsPerSec).toLocaleString('en-US')} ops/s`,
      `${Math.round(this.errorsPerSec)} err/s`,
    ];
    if (this.lastEvent !== '') parts.push(`last event: ${this.lastEvent}`);
    return parts.filter((p) => p !== '').join('  ');
  }

  private clear(): void {
    if (this.drawn && this.stream.isTTY === true) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  private draw(): void {
    const text = this.render();
    if (text === '') return;
    if (this.stream.isTTY === true) {
      const width = this.stream.columns ?? 120;
      this.stream.write(`\r\x1b[2K${text.length > width - 1 ? text.slice(0, width - 1) : text}`);
      this.drawn = true;
    } else if (this.t - this.lastPlainT >= plainEveryS) {
      this.lastPlainT = this.t;
      this.stream.write(`${text}\n`);
    }
  }
}
