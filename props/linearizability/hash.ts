/** Small, deterministic 32-bit hashes for model states and the memo table. */

/** FNV-1a over UTF-16 code units; plenty for bucketing, and `equal` settles collisions. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's finalizer: spreads the bits of a weak hash before it is combined. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Order-sensitive combination of two hashes. */
export function combine(a: number, b: number): number {
  return mix32((Math.imul(a, 31) + b) | 0);
}
