/** y ≈ intercept + slope·x */
export interface Line {
  intercept: number;
  slope: number;
}

/**
 * Online least-squares fit of y against x with exponential forgetting: each
 * new sample scales the weight of the old ones by `decay`, so the fit follows
 * a node whose speed changes (co-located load comes and goes) instead of
 * averaging over its whole life. Until `minSamples` samples are in, it answers
 * with its prior, then moves from the prior to the fit as evidence grows.
 */
export class OnlineRegression {
  private w = 0;
  private sx = 0;
  private sy = 0;
  private sxx = 0;
  private sxy = 0;
  private n = 0;

  constructor(
    readonly prior: Line,
    readonly decay: number,
    readonly minSamples: number,
  ) {}

  get samples(): number {
    return this.n;
  }

  add(x: number, y: number): void {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    this.w = this.w * this.decay + 1;
    this.sx = this.sx * this.decay + x;
    this.sy = this.sy * this.decay + y;
    this.sxx = this.sxx * this.decay + x * x;
    this.sxy = this.sxy * this.decay + x * y;
    this.n++;
  }

  /** The current line: the prior, the fit, or a blend while samples are few. */
  line(): Line {
    const fit = this.fit();
    if (fit === undefined || this.n < this.minSamples) return this.prior;
    const trust = Math.min(1, this.n / (2 * this.minSamples));
    return {
      intercept: trust * fit.intercept + (1 - trust) * this.prior.intercept,
      slope: trust * fit.slope + (1 - trust) * this.prior.slope,
    };
  }

  predict(x: number): number {
    const { intercept, slope } = this.line();
    return Math.max(0, intercept + slope * x);
  }

  private fit(): Line | undefined {
    if (this.w === 0) return undefined;
    const mx = this.sx / this.w;
    const my = this.sy / this.w;
    const varX = this.sxx / this.w - mx * mx;
    // All samples at (nearly) one size: the slope is unknown; keep the prior's and fit the level.
    if (varX <= 1e-9 * Math.max(1, mx * mx)) {
      return { slope: this.prior.slope, intercept: my - this.prior.slope * mx };
    }
    const slope = (this.sxy / this.w - mx * my) / varX;
    const intercept = my - slope * mx;
    // Time cannot be negative: a fit that crosses zero (noise, or samples from a narrow size range)
    // would call small jobs free. Refit through the origin; a falling line keeps the prior's slope.
    if (intercept < 0 || slope < 0) {
      const through = this.sxy / this.sxx;
      if (through > 0) return { slope: through, intercept: 0 };
      return { slope: this.prior.slope, intercept: Math.max(0, my - this.prior.slope * mx) };
    }
    return { slope, intercept };
  }
}
