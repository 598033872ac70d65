import { LSM_DEFAULTS } from './defaults.js';
import { compareBytes, keyPrefix48, ValueType } from './internal-key.js';

/** One version of one key. `next[i]` is the successor at level i. */
export class SkipNode {
  constructor(
    readonly key: Buffer,
    readonly prefix: number,
    /** Bytes 6..11 as a number: structured keys (db_bench's, Raft-style) often share their first six. */
    readonly prefix2: number,
    readonly seq: number,
    readonly type: ValueType,
    readonly value: Buffer,
    readonly next: (SkipNode | null)[],
  ) {}
}

/**
 * A LevelDB-style skiplist ordered by (key ascending, seq descending). Inserts
 * only; readers walk it while writers insert because a node is linked bottom-up
 * and JS runs one thing at a time.
 */
export class SkipList {
  private readonly head: SkipNode;
  private height = 1;
  private rng: number;
  private readonly maxHeight: number;
  private readonly prev: (SkipNode | null)[];
  count = 0;

  constructor(seed = 0x2545f491, maxHeight: number = LSM_DEFAULTS.skiplistMaxHeight) {
    this.maxHeight = maxHeight;
    this.head = new SkipNode(Buffer.alloc(0), -1, -1, 0, ValueType.Value, Buffer.alloc(0), new Array(maxHeight).fill(null));
    this.prev = new Array(maxHeight).fill(null);
    this.rng = seed | 1;
  }

  private randomHeight(): number {
    let h = 1;
    // xorshift32: deterministic per list, and far cheaper than a call into a Random.
    while (h < this.maxHeight) {
      let x = this.rng;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.rng = x;
      if ((x >>> 0) % LSM_DEFAULTS.skiplistBranching !== 0) break;
      h++;
    }
    return h;
  }

  /** Negative if node sorts before (key, prefix, seq). */
  private static cmp(node: SkipNode, key: Buffer, prefix: number, prefix2: number, seq: number): number {
    if (node.prefix !== prefix) return node.prefix < prefix ? -1 : 1;
    if (node.prefix2 !== prefix2) return node.prefix2 < prefix2 ? -1 : 1;
    const nk = node.key;
    const c = compareBytes(nk, 0, nk.length, key, 0, key.length);
    if (c !== 0) return c;
    return seq - node.seq;
  }

  insert(key: Buffer, seq: number, type: ValueType, value: Buffer): void {
    const prefix = keyPrefix48(key);
    const prefix2 = keyPrefix48(key, 6);
    let x = this.head;
    const prev = this.prev;
    for (let level = this.height - 1; level >= 0; level--) {
      let nx = x.next[level]!;
      while (nx !== null && SkipList.cmp(nx, key, prefix, prefix2, seq) < 0) {
        x = nx;
        nx = x.next[level]!;
      }
      prev[level] = x;
    }
    const h = this.randomHeight();
    if (h > this.height) {
      for (let i = this.height; i < h; i++) prev[i] = this.head;
      this.height = h;
    }
    const node = new SkipNode(key, prefix, prefix2, seq, type, value, new Array(h));
    for (let i = 0; i < h; i++) {
      node.next[i] = prev[i]!.next[i]!;
      prev[i]!.next[i] = node;
    }
    this.count++;
  }

  /** First node >= (key, seq), or null. */
  seek(key: Buffer, seq: number): SkipNode | null {
    const prefix = keyPrefix48(key);
    const prefix2 = keyPrefix48(key, 6);
    let x = this.head;
    for (let level = this.height - 1; level >= 0; level--) {
      let nx = x.next[level]!;
      while (nx !== null && SkipList.cmp(nx, key, prefix, prefix2, seq) < 0) {
        x = nx;
        nx = x.next[level]!;
      }
    }
    return x.next[0]!;
  }

  first(): SkipNode | null {
    return this.head.next[0]!;
  }
}
