import { randomBytes } from 'node:crypto';

/** The only source of randomness in the system; the simulator injects a seeded one. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, bound). */
  int(bound: number): number;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
}

abstract class RandomBase implements Random {
  abstract next(): number;
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

/**
 * sfc32, seeded through splitmix32: small, fast, and the same sequence on every
 * platform for a given seed, which is what replay needs.
 */
export class SeededRandom extends RandomBase {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    super();
    let s = seed >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.next();
  }

  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t / 4294967296;
  }

  /** An independent stream derived from this one (e.g. one per simulated node). */
  fork(): SeededRandom {
    return new SeededRandom(this.int(0x100000000));
  }
}

/** Cryptographic randomness for the real system, drawn in blocks. */
export class RealRandom extends RandomBase {
  private pool = new Uint32Array(0);
  private pos = 0;

  next(): number {
    if (this.pos >= this.pool.length) {
      const buf = randomBytes(4096);
      this.pool = new Uint32Array(buf.buffer, buf.byteOffset, 1024);
      this.pos = 0;
    }
    return this.pool[this.pos++]! / 4294967296;
  }

  override bytes(n: number): Uint8Array {
    return new Uint8Array(randomBytes(n));
  }
}
