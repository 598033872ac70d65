import { LABEL_MAX_KEYS } from './defaults.js';
import type { Partition } from './model.js';

/** What partitioning needs to know of a KV operation. */
export type KvFootprint = { readonly kind: 'point'; readonly key: string } | { readonly kind: 'range'; readonly start: string; readonly end: string };

/**
 * Group operations so that each group can be checked alone, soundly.
 *
 * Point operations on different keys never constrain each other
 * (linearizability is local), so each key is its own group. A range operation
 * reads or deletes every key in [start, end) at one instant, so splitting it
 * per key would let each key's part pick a different instant and accept
 * non-atomic scans. Instead every key of the history inside its range joins
 * one group with it (union-find), and that group is checked against the
 * whole-map model. Keys never mentioned outside range operations are absent
 * in every state of the group, which the model sees too, so a range that
 * returns such a key fails. Cost: ranges that overlap chain their groups
 * together, up to one group for the whole history.
 */
export function partitionByKey(footprints: readonly KvFootprint[]): Partition[] {
  const keys = [...new Set(footprints.flatMap((f) => (f.kind === 'point' ? [f.key] : [])))].sort(compareStrings);
  const keyIndex = new Map(keys.map((k, i) => [k, i]));
  const k = keys.length;
  // Nodes: one per key, then one per operation (so a range that covers no key still has a group).
  const uf = new UnionFind(k + footprints.length);
  // skip[i] jumps over keys already joined to their right neighbour,
  // so overlapping ranges cost O(keys + ranges) in total, not O(keys * ranges).
  const skip = new Int32Array(k + 1).map((_, i) => i);
  const nextUnlinked = (i: number): number => {
    let r = i;
    while (skip[r] !== r) r = skip[r]!;
    for (let j = i; skip[j] !== r; ) {
      const nx = skip[j]!;
      skip[j] = r;
      j = nx;
    }
    return r;
  };

  footprints.forEach((f, op) => {
    const node = k + op;
    if (f.kind === 'point') {
      uf.union(node, keyIndex.get(f.key)!);
      return;
    }
    const lo = lowerBound(keys, f.start);
    const hi = f.start < f.end ? lowerBound(keys, f.end) : lo;
    if (lo >= hi) return;
    uf.union(node, lo);
    for (let i = nextUnlinked(lo); i < hi - 1; i = nextUnlinked(i + 1)) {
      uf.union(i, i + 1);
      skip[i] = i + 1;
    }
  });

  const groups = new Map<number, { keys: string[]; indexes: number[]; ranges: KvFootprint[] }>();
  const groupOf = (root: number) => {
    let g = groups.get(root);
    if (g === undefined) groups.set(root, (g = { keys: [], indexes: [], ranges: [] }));
    return g;
  };
  keys.forEach((key, i) => groupOf(uf.find(i)).keys.push(key));
  footprints.forEach((f, op) => {
    const g = groupOf(uf.find(k + op));
    g.indexes.push(op);
    if (f.kind === 'range') g.ranges.push(f);
  });
  return [...groups.values()].map((g) => ({ key: label(g.keys, g.ranges), indexes: g.indexes }));
}

function label(keys: readonly string[], ranges: readonly KvFootprint[]): string {
  if (ranges.length === 0 && keys.length === 1) return keys[0]!;
  if (keys.length === 0) {
    const r = ranges[0]!;
    return r.kind === 'range' ? `range [${JSON.stringify(r.start)}, ${JSON.stringify(r.end)}) (no keys written)` : '';
  }
  const shown = keys.slice(0, LABEL_MAX_KEYS).map((k) => JSON.stringify(k));
  if (keys.length > LABEL_MAX_KEYS) shown.push(`… ${keys.length - LABEL_MAX_KEYS} more`);
  return `{${shown.join(', ')}} (joined by range operations)`;
}

function lowerBound(sorted: readonly string[], x: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

class UnionFind {
  private readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n).map((_, i) => i);
  }
  find(x: number): number {
    let r = x;
    while (this.parent[r] !== r) r = this.parent[r]!;
    while (this.parent[x] !== r) {
      const nx = this.parent[x]!;
      this.parent[x] = r;
      x = nx;
    }
    return r;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}
