// YCSB's request distributions (com.yahoo.ycsb.generator), ported: zipfian
// (Gray et al., "Quickly generating billion-record synthetic databases"),
// scrambled zipfian (popular keys spread over the key space), skewed-latest
// (recent inserts are hot) and uniform. All draw from an injected random source.

export type Rand = () => number;

/** FNV-1a 64-bit, as YCSB's Utils.fnvhash64 (used to scramble key numbers). */
export function fnv64(n: number): bigint {
  let hash = 0xcbf29ce484222325n;
  let v = BigInt(n);
  for (let i = 0; i < 8; i++) {
    hash ^= v & 0xffn;
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
    v >>= 8n;
  }
  return hash;
}

/** YCSB's default skew. */
export const zipfianConstant = 0.99;

function zeta(n: number, theta: number): number {
  let sum = 0;
  for (let i = 1; i <= n; i++) sum += 1 / Math.pow(i, theta);
  return sum;
}

/** Item ranks 0..n-1, rank 0 the most popular. `grow` extends n incrementally (for skewed-latest). */
export class ZipfianGenerator {
  private n: number;
  private zetan: number;
  private readonly zeta2: number;
  private readonly alpha: number;
  private eta: number;

  constructor(
    n: number,
    private readonly rand: Rand,
    private readonly theta = zipfianConstant,
  ) {
    this.n = n;
    this.zetan = zeta(n, theta);
    this.zeta2 = zeta(2, theta);
    this.alpha = 1 / (1 - theta);
    this.eta = this.etaFor(n);
  }

  private etaFor(n: number): number {
    return (1 - Math.pow(2 / n, 1 - this.theta)) / (1 - this.zeta2 / this.zetan);
  }

  /** Adds items n..newN-1 (YCSB recomputes zeta incrementally the same way). */
  grow(newN: number): void {
    if (newN <= this.n) return;
    for (let i = this.n + 1; i <= newN; i++) this.zetan += 1 / Math.pow(i, this.theta);
    this.n = newN;
    this.eta = this.etaFor(newN);
  }

  next(): number {
    const u = this.rand();
    const uz = u * this.zetan;
    if (uz < 1) return 0;
    if (uz < 1 + Math.pow(0.5, this.theta)) return 1;
    return Math.min(this.n - 1, Math.floor(this.n * Math.pow(this.eta * u - this.eta + 1, this.alpha)));
  }
}

/** Zipfian popularity, but the popular items are scattered over the key space (YCSB's default for workloads A–C, E, F). */
export class ScrambledZipfianGenerator {
  private readonly zipf: ZipfianGenerator;
  constructor(
    private readonly n: number,
    rand: Rand,
  ) {
    this.zipf = new ZipfianGenerator(n, rand);
  }
  next(): number {
    return Number(fnv64(this.zipf.next()) % BigInt(this.n));
  }
}

/** The most recently inserted items are the most popular (workload D). */
export class SkewedLatestGenerator {
  private readonly zipf: ZipfianGenerator;
  constructor(
    private readonly latest: () => number,
    rand: Rand,
  ) {
    this.zipf = new ZipfianGenerator(Math.max(1, latest()), rand);
  }
  next(): number {
    const max = Math.max(1, this.latest());
    this.zipf.grow(max);
    return Math.max(0, max - 1 - this.zipf.next());
  }
}

export function uniform(lo: number, hi: number, rand: Rand): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

/** A seeded PRNG (mulberry32): runs are repeatable from `--seed`. */
export function seededRandom(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
