import { crc32 } from 'node:zlib';

/** Slicing-by-4 tables: T0 is the classic byte table, Tk advances a byte k positions further. */
const T = (() => {
  const t = new Int32Array(4 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 4; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/** Below this many bytes a JS table loop beats the call into zlib (and needs no subarray). */
const NATIVE_MIN_BYTES = 256;

/** Standard CRC-32 (zlib's) of buf[start, end), continuing from `initial`. */
export function crc32Range(buf: Uint8Array, start: number, end: number, initial = 0): number {
  if (end - start >= NATIVE_MIN_BYTES) return crc32(buf.subarray(start, end), initial) >>> 0;
  let c = ~initial;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    c ^= buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    c = T[768 + (c & 0xff)]! ^ T[512 + ((c >>> 8) & 0xff)]! ^ T[256 + ((c >>> 16) & 0xff)]! ^ T[c >>> 24]!;
  }
  for (; i < end; i++) c = T[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * LevelDB's mask: a CRC stored next to data that itself contains CRCs would
 * otherwise checksum to predictable values, so the stored form is rotated and offset.
 */
export function mask(c: number): number {
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

/** Masked CRC-32 of `data`, continuing an unmasked `initial` CRC. */
export function maskedCrc(data: Uint8Array, initial = 0): number {
  return mask(crc32Range(data, 0, data.length, initial));
}

export function maskedCrcRange(buf: Uint8Array, start: number, end: number, initial = 0): number {
  return mask(crc32Range(buf, start, end, initial));
}
