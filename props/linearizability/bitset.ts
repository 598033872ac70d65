import { mix32 } from './hash.js';

/**
 * The set of operations linearized so far, with a Zobrist hash kept up to date
 * on every set and clear: the search hashes this set on every step, and
 * rehashing all words each time would make a step O(n) instead of O(1).
 */
export class Bitset {
  private readonly words: Uint32Array;
  /** XOR of `zobrist(i)` over the members. */
  private zobristHash = 0;

  constructor(readonly capacity: number, words?: Uint32Array, hash?: number) {
    this.words = words ?? new Uint32Array(Math.ceil(capacity / 32));
    this.zobristHash = hash ?? 0;
  }

  has(i: number): boolean {
    return (this.words[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  set(i: number): void {
    if (this.has(i)) return;
    this.words[i >>> 5]! |= 1 << (i & 31);
    this.zobristHash ^= zobrist(i);
  }

  clear(i: number): void {
    if (!this.has(i)) return;
    this.words[i >>> 5]! &= ~(1 << (i & 31));
    this.zobristHash ^= zobrist(i);
  }

  get hash(): number {
    return this.zobristHash >>> 0;
  }

  /** Number of members. */
  count(): number {
    let n = 0;
    for (const w of this.words) {
      let x = w;
      while (x !== 0) {
        x &= x - 1;
        n++;
      }
    }
    return n;
  }

  equals(other: Bitset): boolean {
    if (other.words.length !== this.words.length || other.zobristHash !== this.zobristHash) return false;
    for (let i = 0; i < this.words.length; i++) if (this.words[i] !== other.words[i]) return false;
    return true;
  }

  clone(): Bitset {
    return new Bitset(this.capacity, this.words.slice(), this.zobristHash);
  }
}

/** A fixed pseudo-random 32-bit value per member, the same on every run so hashing stays deterministic. */
function zobrist(i: number): number {
  return mix32(Math.imul(i + 1, 0x9e3779b9));
}
