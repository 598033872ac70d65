/**
 * A whole-table bloom filter over user keys (RocksDB's "full filter"): one
 * probe sequence per lookup by double hashing (Kirsch-Mitzenmacher, as LevelDB).
 * Layout: bit array, then one byte holding the number of probes.
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

export function buildBloom(hashes: Uint32Array, count: number, bitsPerKey: number): Buffer {
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

/** False means the key is certainly absent; true means it may be present. */
export function bloomMayContain(filter: Buffer, hash: number): boolean {
  const len = filter.length;
  if (len < 2) return true;
  const bits = (len - 1) * 8;
  const k = filter[len - 1]!;
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
