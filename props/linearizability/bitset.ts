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

  /**
   * A frozen copy for the memo table, stored without its leading all-ones and
   * trailing all-zeros words. Operations are numbered in call order, and
   * everything long finished is linearized, so a set is mostly a run of ones
   * and then a narrow window: the memo then costs memory per window, not per
   * history (a full copy per entry runs into gigabytes on long partitions).
   */
  snapshot(): BitsetSnapshot {
    let lead = 0;
    while (lead < this.words.length && this.words[lead] === FULL) lead++;
    let end = this.words.length;
    while (end > lead && this.words[end - 1] === 0) end--;
    return { hash: this.zobristHash, lead, window: this.words.slice(lead, end) };
  }

  /** Same members as when `snap` was taken. */
  matches(snap: BitsetSnapshot): boolean {
    if (snap.hash !== this.zobristHash) return false;
    const { lead, window } = snap;
    const w = this.words;
    for (let i = 0; i < lead; i++) if (w[i] !== FULL) return false;
    for (let i = 0; i < window.length; i++) if (w[lead + i] !== window[i]) return false;
    for (let i = lead + window.length; i < w.length; i++) if (w[i] !== 0) return false;
    return true;
  }
}

export interface BitsetSnapshot {
  readonly hash: number;
  /** Words before the window, all ones. */
  readonly lead: number;
  /** The words from `lead` on; all words after them are zero. */
  readonly window: Uint32Array;
}

const FULL = 0xffffffff;

/** A fixed pseudo-random 32-bit value per member, the same on every run so hashing stays deterministic. */
function zobrist(i: number): number {
  return mix32(Math.imul(i + 1, 0x9e3779b9));
}
