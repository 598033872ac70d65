/**
 * The write rate limit of db_bench's `--benchmark_write_rate_limit` (RocksDB's
 * GenericRateLimiter): writes are paced at `opsPerSec`, and a writer that fell
 * behind (a write stall) may catch up at most `maxCatchUpMs` worth of writes
 * (one refill period, 100 ms); the rest of the time lost stays lost, so a
 * stall costs throughput as it does in db_bench.
 */
export class WritePacer {
  private startMs: number;
  private issued = 0;

  constructor(
    private readonly opsPerSec: number,
    nowMs: number,
    private readonly maxCatchUpMs = 100,
  ) {
    this.startMs = nowMs;
  }

  /** Records `ops` writes about to be issued; returns how long to wait first (ms, 0 = go). */
  next(ops: number, nowMs: number): number {
    if (this.opsPerSec <= 0) return 0;
    const aheadMs = (this.issued * 1000) / this.opsPerSec - (nowMs - this.startMs);
    this.issued += ops;
    if (aheadMs > 1) return aheadMs;
    if (aheadMs < -this.maxCatchUpMs) this.startMs += -aheadMs - this.maxCatchUpMs;
    return 0;
  }
}
