/**
 * The sorted key-value store under a KV state machine. Every call is
 * synchronous: Raft applies entries synchronously, in log order. `index` is
 * the Raft log index of the entry doing the write (a store that persists may
 * record it). Keys compare as `compareKeys` (UTF-8 byte order).
 */
export interface KvStore {
  get(key: string): Uint8Array | null;
  set(key: string, value: Uint8Array, index: number): void;
  delete(key: string, index: number): void;
  /** Keys in [start, end) in key order, at most `limit`. */
  range(start: string, end: string, limit?: number): [string, Uint8Array][];
  /** Every entry, in key order. */
  entries(): [string, Uint8Array][];
  /** Removes every key (a restore replaces the whole state). */
  clear(): void;
  /** Whether the store can hold `key` (a key it cannot is refused as BAD_COMMAND, never half-applied). */
  accepts(key: string): boolean;
  /**
   * null when writes may go now; else resolves when they may (a storage
   * engine's write stall). The member awaits it before applying entries.
   */
  whenWritable?(bytes: number): Promise<void> | null;
}

/** The in-memory store: a Map plus a lazily built sorted key list. */
export class MapKvStore implements KvStore {
  private data = new Map<string, Uint8Array>();
  /** Keys in byte order, built lazily and then kept up to date in place. */
  private sorted: string[] | undefined;

  get(key: string): Uint8Array | null {
    return this.data.get(key) ?? null;
  }

  set(key: string, value: Uint8Array): void {
    // A new key goes into the sorted cache in place (a memmove, not a re-sort of every key).
    if (!this.data.has(key) && this.sorted !== undefined) this.sorted.splice(lowerBound(this.sorted, key), 0, key);
    this.data.set(key, value);
  }

  delete(key: string): void {
    if (!this.data.delete(key) || this.sorted === undefined) return;
    const i = lowerBound(this.sorted, key);
    if (this.sorted[i] === key) this.sorted.splice(i, 1);
    else this.sorted = undefined;
  }

  range(start: string, end: string, limit = Infinity): [string, Uint8Array][] {
    const out: [string, Uint8Array][] = [];
    const keys = this.sortedKeys();
    for (let i = lowerBound(keys, start); i < keys.length && out.length < limit; i++) {
      const k = keys[i]!;
      if (compareKeys(k, end) >= 0) break;
      out.push([k, this.data.get(k)!]);
    }
    return out;
  }

  entries(): [string, Uint8Array][] {
    return this.sortedKeys().map((k) => [k, this.data.get(k)!]);
  }

  clear(): void {
    this.data = new Map();
    this.sorted = undefined;
  }

  accepts(_key: string): boolean {
    return true;
  }

  size(): number {
    return this.data.size;
  }

  private sortedKeys(): string[] {
    this.sorted ??= [...this.data.keys()].sort(compareKeys);
    return this.sorted;
  }
}

/**
 * Keys compare as UTF-8 bytes, the order the LSM engine uses. UTF-8 byte
 * order is code point order, so compare code points without encoding: UTF-16
 * units agree with it except that surrogates (code points past U+FFFF) must
 * sort after U+E000..U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/** First index in sorted `keys` whose key is >= `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
