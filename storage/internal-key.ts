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
export function keyPrefix48(key: Uint8Array): number {
  const n = key.length;
  if (n >= 6) {
    return key[0]! * 0x10000000000 + key[1]! * 0x100000000 + ((key[2]! << 24) >>> 0) + (key[3]! << 16) + (key[4]! << 8) + key[5]!;
  }
  let v = 0;
  for (let i = 0; i < 6; i++) v = v * 256 + (i < n ? key[i]! : 0);
  return v;
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
}

/** Result of a point lookup in one memtable or table. */
export interface LookupResult {
  type: ValueType;
  seq: number;
  value: Buffer;
}
