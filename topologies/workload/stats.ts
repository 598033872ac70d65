// Latency bookkeeping for the workload driver: one window of completed
// operations per op type, summarized as the records' LatencyStats.
import type { LatencyStats, OpName } from '../records.js';

/** Nearest-rank percentile of an ascending list (0 for an empty one). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

const round = (x: number): number => Number(x.toFixed(3));

/** Summary of successful latencies and an error count. `count` excludes errors. */
export function latencyStats(latenciesMs: readonly number[], errors: number): LatencyStats {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const sum = sorted.reduce((s, x) => s + x, 0);
  return {
    count: sorted.length,
    errors,
    p50Ms: round(percentile(sorted, 0.5)),
    p99Ms: round(percentile(sorted, 0.99)),
    meanMs: sorted.length === 0 ? 0 : round(sum / sorted.length),
  };
}

/** Operations that completed in one interval (a second of a tick, or a whole phase). */
export class OpWindow {
  private readonly latencies = new Map<OpName, number[]>();
  private readonly errorCounts = new Map<OpName, number>();
  ops = 0;
  errors = 0;

  ok(op: OpName, latencyMs: number): void {
    let list = this.latencies.get(op);
    if (list === undefined) this.latencies.set(op, (list = []));
    list.push(latencyMs);
    this.ops++;
  }

  failed(op: OpName): void {
    this.errorCounts.set(op, (this.errorCounts.get(op) ?? 0) + 1);
    this.errors++;
  }

  /** Adds another window's operations to this one. */
  absorb(other: OpWindow): void {
    for (const [op, list] of other.latencies) for (const ms of list) this.ok(op, ms);
    for (const [op, n] of other.errorCounts) for (let i = 0; i < n; i++) this.failed(op);
  }

  /** Per op type that occurred (in a fixed order, so records serialize the same way every run). */
  byOp(): Partial<Record<OpName, LatencyStats>> {
    const out: Partial<Record<OpName, LatencyStats>> = {};
    for (const op of opOrder) {
      const lat = this.latencies.get(op);
      const err = this.errorCounts.get(op) ?? 0;
      if (lat === undefined && err === 0) continue;
      out[op] = latencyStats(lat ?? [], err);
    }
    return out;
  }
}

const opOrder: readonly OpName[] = ['read', 'update', 'insert', 'scan', 'read-modify-write', 'get', 'put', 'seek'];
