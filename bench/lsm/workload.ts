import { SeededRandom } from '../../runtime/random.js';

/** Benchmark parameters shared by every system (db_bench's names). */
export interface LsmBenchParams {
  num: number;
  keySize: number;
  valueSize: number;
  /** Writes kept in flight by the Node systems (the classic-level anchor uses 64). */
  inflight: number;
  /** mixgraph-like mix: operations and ratios (RocksDB's Facebook trace: 0.83 get, 0.14 put, 0.03 seek). */
  mixOps: number;
  mixGetRatio: number;
  mixPutRatio: number;
  mixSeekRatio: number;
  mixScanLength: number;
  /** Reads performed while one writer writes (readwhilewriting). */
  readWhileWritingOps: number;
  seed: number;
}

/** db_bench's GenerateKeyFromInt: the number big-endian in the first 8 bytes, then '0' padding. */
export function makeKey(n: number, keySize: number, out: Buffer = Buffer.allocUnsafe(keySize)): Buffer {
  out.fill(0x30);
  out.writeUInt32BE(Math.floor(n / 4294967296), 0);
  out.writeUInt32BE(n >>> 0, 4);
  return out;
}

/** A pool of random bytes values are sliced from, like db_bench's RandomGenerator. */
export class ValueSource {
  private readonly pool: Buffer;
  private pos = 0;
  constructor(private readonly valueSize: number, seed: number) {
    const r = new SeededRandom(seed);
    this.pool = Buffer.from(r.bytes(1024 * 1024 + valueSize));
  }
  next(): Buffer {
    if (this.pos + this.valueSize > this.pool.length) this.pos = 0;
    const v = this.pool.subarray(this.pos, this.pos + this.valueSize);
    this.pos += 97;
    return v;
  }
}

/**
 * Hot-spot key choice for the mixgraph-like mix: a power law over the key
 * range (db_bench's mixgraph draws keys from a power function too).
 */
export function powerLawKey(r: SeededRandom, num: number): number {
  return Math.min(num - 1, Math.floor(num * r.next() ** 3));
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

export class LatencyRecorder {
  private samples: Float64Array;
  private n = 0;
  constructor(capacity: number) {
    this.samples = new Float64Array(capacity);
  }
  add(ms: number): void {
    if (this.n < this.samples.length) this.samples[this.n++] = ms;
  }
  summary(): { p50_ms: number; p99_ms: number } {
    const s = this.samples.subarray(0, this.n).sort();
    return { p50_ms: Number(percentile(s, 0.5).toFixed(4)), p99_ms: Number(percentile(s, 0.99).toFixed(4)) };
  }
}

/** Everything one workload run reports (per system, per workload). */
export interface WorkloadResult {
  workload: string;
  ops: number;
  ops_per_sec: number;
  p50_ms: number;
  p99_ms: number;
  stall_ms?: number;
  stall_by_cause_ms?: Record<string, number>;
  /** readwhilewriting: writes done by the concurrent writer. */
  writes_per_sec?: number;
  found?: number;
  extra?: Record<string, unknown>;
}

/** A run's report: `ops` done in `elapsedMs`, with its latency percentiles and any workload-specific fields. */
export function workloadResult(
  workload: string,
  ops: number,
  elapsedMs: number,
  lat: LatencyRecorder,
  fields: Pick<WorkloadResult, 'writes_per_sec' | 'found' | 'extra'> = {},
): WorkloadResult {
  return { workload, ops, ops_per_sec: perSecond(ops, elapsedMs), ...fields, ...lat.summary() };
}

export function perSecond(count: number, elapsedMs: number): number {
  return Math.round((count / elapsedMs) * 1000);
}

export const WORKLOADS = ['fillrandom', 'readrandom', 'readwhilewriting', 'mixgraph'] as const;
export type Workload = (typeof WORKLOADS)[number];

/** db_bench mixgraph's key choice: a power-law seed (PowerCdfInversion) hashed onto the key range. */
export function mixgraphKey(r: SeededRandom, num: number, a = 0.002312, b = 0.3467): number {
  const u = r.next();
  const seed = Math.floor((u / a) ** (1 / b));
  // splitmix-style scramble of the seed, as db_bench feeds the seed to Random64.
  let z = (seed + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  z = (z ^ (z >>> 16)) >>> 0;
  return z % num;
}

export const yieldTurn = (): Promise<void> => new Promise((r) => setImmediate(r));
