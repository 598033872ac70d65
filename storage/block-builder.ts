import { putVarint } from './coding.js';
import { LSM_DEFAULTS } from './defaults.js';
import type { ValueType } from './internal-key.js';

/**
 * Builds one block (see FORMAT.md): prefix-compressed entries, then the
 * restart offsets (u32 each) and their count (u32). Keys must come in
 * strictly ascending order.
 */
export class BlockBuilder {
  private buf: Buffer;
  private pos = 0;
  private restarts: number[] = [0];
  private counter = 0;
  private lastKey: Buffer = Buffer.alloc(0);
  entries = 0;

  constructor(private readonly restartInterval: number = LSM_DEFAULTS.blockRestartInterval, initialBytes = 8192) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get empty(): boolean {
    return this.entries === 0;
  }

  /** Size of the finished block if it ended now. */
  get estimatedBytes(): number {
    return this.pos + this.restarts.length * 4 + 4;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  add(key: Buffer, seq: number, type: ValueType, value: Uint8Array): void {
    let shared = 0;
    if (this.counter < this.restartInterval) {
      const last = this.lastKey;
      const max = Math.min(last.length, key.length);
      while (shared < max && last[shared] === key[shared]) shared++;
    } else {
      this.restarts.push(this.pos);
      this.counter = 0;
    }
    const unshared = key.length - shared;
    this.reserve(15 + unshared + 8 + value.length);
    let p = putVarint(this.buf, this.pos, shared);
    p = putVarint(this.buf, p, unshared);
    p = putVarint(this.buf, p, value.length);
    key.copy(this.buf, p, shared);
    p += unshared;
    this.buf.writeUIntLE(seq, p, 6);
    this.buf[p + 6] = 0;
    this.buf[p + 7] = type;
    p += 8;
    this.buf.set(value, p);
    this.pos = p + value.length;
    this.lastKey = key;
    this.counter++;
    this.entries++;
  }

  /** Returns the block bytes (a copy) and resets the builder for the next block. */
  finish(): Buffer {
    this.reserve(this.restarts.length * 4 + 4);
    for (const r of this.restarts) {
      this.buf.writeUInt32LE(r, this.pos);
      this.pos += 4;
    }
    this.buf.writeUInt32LE(this.restarts.length, this.pos);
    this.pos += 4;
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    this.restarts = [0];
    this.counter = 0;
    this.entries = 0;
    this.lastKey = Buffer.alloc(0);
    return out;
  }
}
