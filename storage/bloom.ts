/**
 * A whole-table bloom filter over user keys (RocksDB's "full filter").
 *
 * Written layout (RocksDB's FastLocalBloom idea): the bits are split into
 * 512-bit lines (one CPU cache line) and every probe of a key lands in the
 * one line its hash picks, so a lookup costs one cache miss per table instead
 * of one per probe. Layout: lines * 64 bytes, then one byte `0x80 | probes`.
 *
 * The older layout (one bit array, double-hashed probes over all of it,
 * trailer byte = probes <= 30) is still read, so tables written before stay
 * valid. A trailer this code does not know means "may contain".
 */

const M = 0xc6a4a793;

/** LevelDB's 32-bit murmur-like hash; computed once per lookup and reused for every table. */
export function bloomHash(key: Uint8Array): number {
  const n = key.length;
  let h = (0xbc9f1d34 ^ Math.imul(n, M)) | 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const w = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24);
    h = Math.imul((h + w) | 0, M);
    h ^= h >>> 16;
  }
  const rest = n - i;
  if (rest > 0) {
    if (rest === 3) h = (h + (key[i + 2]! << 16)) | 0;
    if (rest >= 2) h = (h + (key[i + 1]! << 8)) | 0;
    h = Math.imul((h + key[i]!) | 0, M);
    h ^= h >>> 24;
  }
  return h >>> 0;
}

export function probesFor(bitsPerKey: number): number {
  return Math.max(1, Math.min(30, Math.floor(bitsPerKey * 0.69)));
}

/** Trailer flag of the cache-local layout; the low bits are the probe count. */
const LOCAL = 0x80;
const LINE_BITS = 512;
const GOLDEN = 0x9e3779b9 | 0;

/** murmur3's finaliser: the probe positions come from a scrambled copy of the hash, the line from the hash itself. */
function probeSeed(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export function buildBloom(hashes: Uint32Array, count: number, bitsPerKey: number): Buffer {
  const k = probesFor(bitsPerKey);
  const lines = Math.max(1, Math.ceil((count * bitsPerKey) / LINE_BITS));
  const out = Buffer.alloc(lines * (LINE_BITS / 8) + 1);
  for (let i = 0; i < count; i++) {
    const h = hashes[i]!;
    // Multiply-shift picks the line (uniform over any line count, no division).
    const base = Math.floor((h * lines) / 4294967296) * LINE_BITS;
    let g = probeSeed(h);
    for (let j = 0; j < k; j++) {
      const pos = base + (g >>> 23);
      out[pos >>> 3]! |= 1 << (pos & 7);
      g = Math.imul(g, GOLDEN);
    }
  }
  out[lines * (LINE_BITS / 8)] = LOCAL | k;
  return out;
}

/** False means the key is certainly absent; true means it may be present. */
export function bloomMayContain(filter: Buffer, hash: number): boolean {
  const len = filter.length;
  if (len < 2) return true;
  const t = filter[len - 1]!;
  if (t >= LOCAL) {
    const k = t & 0x7f;
    const lines = (len - 1) >>> 6;
    if (k > 30 || (len - 1) & 63) return true;
    const base = Math.floor((hash * lines) / 4294967296) * LINE_BITS;
    let g = probeSeed(hash);
    for (let j = 0; j < k; j++) {
      const pos = base + (g >>> 23);
      if ((filter[pos >>> 3]! & (1 << (pos & 7))) === 0) return false;
      g = Math.imul(g, GOLDEN);
    }
    return true;
  }
  return legacyMayContain(filter, hash, t);
}

/** The first layout: probe `j` at bit `(h + j*delta) mod m`, `delta = rotr(h, 17)`, across the whole array. */
function legacyMayContain(filter: Buffer, hash: number, k: number): boolean {
  const bits = (filter.length - 1) * 8;
  // Unknown encodings (RocksDB reserves k > 30) must not cause false negatives.
  if (k > 30) return true;
  let h = hash;
  const delta = ((h >>> 17) | (h << 15)) >>> 0;
  for (let j = 0; j < k; j++) {
    const pos = h % bits;
    if ((filter[pos >>> 3]! & (1 << (pos & 7))) === 0) return false;
    h = (h + delta) >>> 0;
  }
  return true;
}

/** The first layout's builder, kept so tests can prove tables written with it still read. */
export function buildLegacyBloom(hashes: Uint32Array, count: number, bitsPerKey: number): Buffer {
  const k = probesFor(bitsPerKey);
  const bits = Math.max(64, Math.ceil((count * bitsPerKey) / 8) * 8);
  const out = Buffer.alloc(bits / 8 + 1);
  for (let i = 0; i < count; i++) {
    let h = hashes[i]!;
    const delta = ((h >>> 17) | (h << 15)) >>> 0;
    for (let j = 0; j < k; j++) {
      const pos = h % bits;
      out[pos >>> 3]! |= 1 << (pos & 7);
      h = (h + delta) >>> 0;
    }
  }
  out[bits / 8] = k;
  return out;
}
