import { maskedCrc } from './checksum.js';
import { getVarint, putVarint, varintLength, varintOut } from './coding.js';
import { CorruptionError } from './errors.js';

/**
 * Chunks of key/value pairs moved between groups when the ring changes
 * (see FORMAT.md): magic "EKVX" | version u8 | count u32 | entries | crc u32,
 * entry = keyLen varint | key | valueLen varint | value.
 */
const MAGIC = Buffer.from('EKVX', 'ascii');
const VERSION = 1;

export function encodeChunk(entries: readonly { key: Buffer; value: Buffer }[]): Buffer {
  let size = 9 + 4;
  for (const e of entries) size += varintLength(e.key.length) + e.key.length + varintLength(e.value.length) + e.value.length;
  const buf = Buffer.allocUnsafe(size);
  MAGIC.copy(buf, 0);
  buf[4] = VERSION;
  buf.writeUInt32LE(entries.length, 5);
  let pos = 9;
  for (const e of entries) {
    pos = putVarint(buf, pos, e.key.length);
    e.key.copy(buf, pos);
    pos += e.key.length;
    pos = putVarint(buf, pos, e.value.length);
    e.value.copy(buf, pos);
    pos += e.value.length;
  }
  buf.writeUInt32LE(maskedCrc(buf.subarray(0, pos)), pos);
  return buf;
}

export function decodeChunk(buf: Buffer): { key: Buffer; value: Buffer }[] {
  const bad = (why: string) => new CorruptionError(`range chunk: ${why}`);
  if (buf.length < 13 || !buf.subarray(0, 4).equals(MAGIC)) throw bad('bad magic');
  if (buf[4] !== VERSION) throw bad(`unsupported version ${buf[4]}`);
  const end = buf.length - 4;
  if (buf.readUInt32LE(end) !== maskedCrc(buf.subarray(0, end))) throw bad('checksum mismatch');
  const count = buf.readUInt32LE(5);
  const out: { key: Buffer; value: Buffer }[] = [];
  let pos = 9;
  for (let i = 0; i < count; i++) {
    if (!getVarint(buf, pos, end)) throw bad('key length');
    let len = varintOut.value;
    pos = varintOut.pos;
    if (pos + len > end) throw bad('key');
    const key = Buffer.from(buf.subarray(pos, pos + len));
    pos += len;
    if (!getVarint(buf, pos, end)) throw bad('value length');
    len = varintOut.value;
    pos = varintOut.pos;
    if (pos + len > end) throw bad('value');
    out.push({ key, value: Buffer.from(buf.subarray(pos, pos + len)) });
    pos += len;
  }
  if (pos !== end) throw bad('trailing bytes');
  return out;
}
