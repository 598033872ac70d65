import { combine, hashString } from './hash.js';

/**
 * An immutable key-value map with its hash kept up to date, so the search can
 * hash a state in O(1). The hash is a sum over entries, so it does not depend
 * on insertion order, as `equals` does not. Keys are ordered by JavaScript
 * string comparison (UTF-16 code units) for range operations.
 */
export class KvState {
  static readonly empty = new KvState(new Map(), 0);

  private constructor(
    private readonly map: ReadonlyMap<string, string>,
    readonly hash: number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): string | undefined {
    return this.map.get(key);
  }

  with(key: string, value: string): KvState {
    const old = this.map.get(key);
    if (old === value) return this;
    const next = new Map(this.map);
    next.set(key, value);
    let h = this.hash + entryHash(key, value);
    if (old !== undefined) h -= entryHash(key, old);
    return new KvState(next, h >>> 0);
  }

  without(key: string): KvState {
    const old = this.map.get(key);
    if (old === undefined) return this;
    const next = new Map(this.map);
    next.delete(key);
    return new KvState(next, (this.hash - entryHash(key, old)) >>> 0);
  }

  /** Drop every key in [start, end). */
  withoutRange(start: string, end: string): KvState {
    let next: Map<string, string> | undefined;
    let h = this.hash;
    for (const [k, v] of this.map) {
      if (k < start || k >= end) continue;
      next ??= new Map(this.map);
      next.delete(k);
      h -= entryHash(k, v);
    }
    return next === undefined ? this : new KvState(next, h >>> 0);
  }

  /** The entries with keys in [start, end), by key. */
  range(start: string, end: string): [string, string][] {
    const out: [string, string][] = [];
    for (const [k, v] of this.map) if (k >= start && k < end) out.push([k, v]);
    return out.sort(byKey);
  }

  equals(other: KvState): boolean {
    if (this === other) return true;
    if (this.hash !== other.hash || this.map.size !== other.map.size) return false;
    for (const [k, v] of this.map) if (other.map.get(k) !== v) return false;
    return true;
  }

  /** All entries, by key. */
  entries(): [string, string][] {
    return [...this.map].sort(byKey);
  }
}

function byKey(a: readonly [string, string], b: readonly [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function entryHash(key: string, value: string): number {
  return combine(hashString(key), hashString(value));
}
