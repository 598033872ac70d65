/** Varint and fixed-width helpers shared by every on-disk format (see FORMAT.md). */

export function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Writes an unsigned varint (LEB128, up to 2^53) at `pos`; returns the position after it. */
export function putVarint(buf: Uint8Array, pos: number, v: number): number {
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/** Result slot for getVarint, reused to avoid allocating on the read hot path. */
export const varintOut = { value: 0, pos: 0 };

/** Reads an unsigned varint at `pos` into `varintOut`; returns false if it runs past `limit`. */
export function getVarint(buf: Uint8Array, pos: number, limit: number): boolean {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 8; i++) {
    if (pos >= limit) return false;
    const b = buf[pos++]!;
    result += (b & 0x7f) * mul;
    if (b < 0x80) {
      varintOut.value = result;
      varintOut.pos = pos;
      return true;
    }
    mul *= 128;
  }
  return false;
}

/** A 48-bit unsigned value as 6 little-endian bytes (file offsets, sequence numbers fit). */
export function putU48(buf: Buffer, pos: number, v: number): void {
  buf.writeUIntLE(v, pos, 6);
}

export function getU48(buf: Buffer, pos: number): number {
  return buf.readUIntLE(pos, 6);
}
