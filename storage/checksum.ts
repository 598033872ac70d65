import { crc32 } from 'node:zlib';

/**
 * CRC-32 (zlib's, native) of `data`, masked as LevelDB does: a CRC stored next
 * to data that itself contains CRCs would otherwise checksum to predictable
 * values, so the stored form is rotated and offset.
 */
export function maskedCrc(data: Uint8Array, initial = 0): number {
  const c = crc32(data, initial) >>> 0;
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

/** CRC over several pieces, as if concatenated. */
export function maskedCrcOfParts(parts: readonly Uint8Array[]): number {
  let c = 0;
  for (const p of parts) c = crc32(p, c);
  c >>>= 0;
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}
