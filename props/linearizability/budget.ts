import { CLOCK_EVERY_STEPS } from './defaults.js';

/**
 * How much search the caller will pay for. Linearizability checking is
 * NP-complete, so a pathological history can take forever; the checker
 * answers "unknown" when the budget runs out instead of hanging a test run.
 */
export interface BudgetOptions {
  /** Wall-clock limit for the whole check, measured with `now`. */
  readonly timeoutMs?: number;
  /** Limit on search steps (model steps and backtracks) for the whole check; unlike time, it is reproducible. */
  readonly maxSteps?: number;
  /** Time source for `timeoutMs`; defaults to `performance.now`. */
  readonly now?: () => number;
}

export class Budget {
  private stepsTaken = 0;
  private readonly deadline: number;
  private readonly maxSteps: number;
  private readonly now: () => number;
  private readonly timeoutMs: number | undefined;
  private spent = false;

  constructor(options: BudgetOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.deadline = options.timeoutMs === undefined ? Infinity : this.now() + options.timeoutMs;
    this.maxSteps = options.maxSteps ?? Infinity;
    this.timeoutMs = options.timeoutMs;
  }

  /** Count one step; true once the budget is spent (and from then on). */
  step(): boolean {
    if (this.spent) return true;
    this.stepsTaken++;
    if (this.stepsTaken > this.maxSteps) this.spent = true;
    else if (this.deadline !== Infinity && this.stepsTaken % CLOCK_EVERY_STEPS === 0 && this.now() >= this.deadline) this.spent = true;
    return this.spent;
  }

  get steps(): number {
    return this.stepsTaken;
  }

  get exhausted(): boolean {
    return this.spent;
  }

  /** Why the budget ran out, for the verdict. */
  describe(): string {
    return this.stepsTaken > this.maxSteps ? `step budget of ${this.maxSteps} exhausted` : `timeout of ${String(this.timeoutMs)} ms exhausted after ${this.stepsTaken} steps`;
  }
}
