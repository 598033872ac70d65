/**
 * What the engine stores per entry beside the user key: a sequence number that
 * orders versions (newer wins) and whether it is a value or a tombstone.
 * Numbers follow LevelDB (kTypeDeletion = 0, kTypeValue = 1).
 */
export const enum ValueType {
  Deletion = 0,
  Value = 1,
}

/** Sequence numbers are stored in 7 bytes on disk; JS numbers are exact below 2^53. */
export const MAX_SEQUENCE = 2 ** 53 - 1;

/**
 * The first six bytes of a key as an exact integer (missing bytes as zero).
 * Comparing these numbers first decides almost every comparison of random keys
 * without a call into Buffer.compare; ties fall back to the full compare.
 */
export function keyPrefix48(key: Uint8Array, offset = 0): number {
  const n = key.length - offset;
  if (n >= 6) {
    const o = offset;
    return key[o]! * 0x10000000000 + key[o + 1]! * 0x100000000 + ((key[o + 2]! << 24) >>> 0) + (key[o + 3]! << 16) + (key[o + 4]! << 8) + key[o + 5]!;
  }
  let v = 0;
  for (let i = 0; i < 6; i++) v = v * 256 + (i < n ? key[offset + i]! : 0);
  return v;
}

/** keyPrefix48 of buf[offset, offset + length) without making a view. */
export function keyPrefix48Range(buf: Uint8Array, offset: number, length: number): number {
  if (length >= 6) {
    const o = offset;
    return buf[o]! * 0x10000000000 + buf[o + 1]! * 0x100000000 + ((buf[o + 2]! << 24) >>> 0) + (buf[o + 3]! << 16) + (buf[o + 4]! << 8) + buf[o + 5]!;
  }
  let v = 0;
  for (let i = 0; i < 6; i++) v = v * 256 + (i < length ? buf[offset + i]! : 0);
  return v;
}

/** compareBytes over two whole buffers. */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  return compareBytes(a, 0, a.length, b, 0, b.length);
}

/** An ordered cursor over (user key, seq, type, value), ascending by key then by newest first. */
export interface InternalIterator {
  valid(): boolean;
  seekToFirst(): void;
  /** Positions at the first entry whose user key is >= `userKey`. */
  seek(userKey: Buffer): void;
  next(): void;
  key(): Buffer;
  seq(): number;
  type(): ValueType;
  value(): Buffer;
  /** Lets go of what the cursor holds (table cursors: their read-slab pin); it is not used afterwards. */
  close?(): void;
}

/** Result of a point lookup in one memtable or table. */
export interface LookupResult {
  type: ValueType;
  seq: number;
  value: Buffer;
}

/**
 * Byte-wise compare of a[aStart, aEnd) with b[bStart, bEnd). A JS loop beats the
 * native Buffer.compare binding for short keys, where the call costs more than
 * the bytes; long keys still go native.
 */
export function compareBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number): number {
  const la = aEnd - aStart;
  const lb = bEnd - bStart;
  const n = la < lb ? la : lb;
  if (n > 64) {
    const c = Buffer.compare(a.subarray(aStart, aEnd), b.subarray(bStart, bEnd));
    return c;
  }
  for (let i = 0; i < n; i++) {
    const x = a[aStart + i]!;
    const y = b[bStart + i]!;
    if (x !== y) return x - y;
  }
  return la - lb;
}
