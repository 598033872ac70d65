import { crc32 } from 'node:zlib';
import { maskedCrc } from './checksum.js';
import { getVarint, putVarint, varintOut } from './coding.js';
import { CorruptionError } from './errors.js';

/** "EDGEKVST" in ASCII, little-endian in the last 8 bytes of every table. */
export const TABLE_MAGIC = Buffer.from('EDGEKVST', 'ascii');
export const TABLE_FORMAT_VERSION = 1;
export const FOOTER_BYTES = 48;
/** compression type u8 (0 = none) + masked crc32 u32. */
export const BLOCK_TRAILER_BYTES = 5;

export interface BlockHandle {
  offset: number;
  size: number;
}

export interface TableProperties {
  numEntries: number;
  numDeletions: number;
  smallestSeq: number;
  largestSeq: number;
  rawKeyBytes: number;
  rawValueBytes: number;
  numDataBlocks: number;
  smallestKey: Buffer;
  largestKey: Buffer;
}

export interface Footer {
  filter: BlockHandle;
  props: BlockHandle;
  index: BlockHandle;
}

/** Appends the trailer (type + crc over contents and type) to a block. */
export function blockTrailer(contents: Buffer): Buffer {
  const t = Buffer.allocUnsafe(BLOCK_TRAILER_BYTES);
  t[0] = 0;
  t.writeUInt32LE(maskedCrc(t.subarray(0, 1), crcRaw(contents)), 1);
  return t;
}

function crcRaw(b: Uint8Array): number {
  return crc32(b) >>> 0;
}

/** Checks a block read with its trailer; returns the contents or throws CorruptionError. */
export function verifyBlock(raw: Buffer, where: string): Buffer {
  if (raw.length < BLOCK_TRAILER_BYTES) throw new CorruptionError(`${where}: truncated block`);
  const n = raw.length - BLOCK_TRAILER_BYTES;
  const contents = raw.subarray(0, n);
  const expected = raw.readUInt32LE(n + 1);
  const actual = maskedCrc(raw.subarray(n, n + 1), crcRaw(contents));
  if (expected !== actual) throw new CorruptionError(`${where}: block checksum mismatch`);
  if (raw[n] !== 0) throw new CorruptionError(`${where}: unknown compression type ${raw[n]}`);
  return contents;
}

export function encodeFooter(f: Footer): Buffer {
  const b = Buffer.alloc(FOOTER_BYTES);
  let p = 0;
  for (const h of [f.filter, f.props, f.index]) {
    b.writeUIntLE(h.offset, p, 6);
    b.writeUInt32LE(h.size, p + 6);
    p += 10;
  }
  b[30] = TABLE_FORMAT_VERSION;
  b.writeUInt32LE(maskedCrc(b.subarray(0, 36)), 36);
  TABLE_MAGIC.copy(b, 40);
  return b;
}

export function decodeFooter(b: Buffer, where: string): Footer {
  if (b.length !== FOOTER_BYTES) throw new CorruptionError(`${where}: file too short for a footer`);
  if (!b.subarray(40).equals(TABLE_MAGIC)) throw new CorruptionError(`${where}: bad magic number`);
  if (b.readUInt32LE(36) !== maskedCrc(b.subarray(0, 36))) throw new CorruptionError(`${where}: footer checksum mismatch`);
  if (b[30] !== TABLE_FORMAT_VERSION) throw new CorruptionError(`${where}: unsupported table format ${b[30]}`);
  const h = (p: number): BlockHandle => ({ offset: b.readUIntLE(p, 6), size: b.readUInt32LE(p + 6) });
  return { filter: h(0), props: h(10), index: h(20) };
}

export function encodeHandle(h: BlockHandle): Buffer {
  const b = Buffer.allocUnsafe(16);
  const p = putVarint(b, putVarint(b, 0, h.offset), h.size);
  return b.subarray(0, p);
}

export function decodeHandle(b: Buffer, where: string): BlockHandle {
  if (!getVarint(b, 0, b.length)) throw new CorruptionError(`${where}: bad block handle`);
  const offset = varintOut.value;
  if (!getVarint(b, varintOut.pos, b.length)) throw new CorruptionError(`${where}: bad block handle`);
  return { offset, size: varintOut.value };
}

export function encodeProps(p: TableProperties): Buffer {
  const b = Buffer.allocUnsafe(7 * 9 + 2 * 9 + p.smallestKey.length + p.largestKey.length);
  let pos = 0;
  for (const v of [p.numEntries, p.numDeletions, p.smallestSeq, p.largestSeq, p.rawKeyBytes, p.rawValueBytes, p.numDataBlocks]) {
    pos = putVarint(b, pos, v);
  }
  for (const k of [p.smallestKey, p.largestKey]) {
    pos = putVarint(b, pos, k.length);
    k.copy(b, pos);
    pos += k.length;
  }
  return Buffer.from(b.subarray(0, pos));
}

export function decodeProps(b: Buffer, where: string): TableProperties {
  const nums: number[] = [];
  let pos = 0;
  const bad = () => new CorruptionError(`${where}: malformed properties block`);
  for (let i = 0; i < 7; i++) {
    if (!getVarint(b, pos, b.length)) throw bad();
    nums.push(varintOut.value);
    pos = varintOut.pos;
  }
  const keys: Buffer[] = [];
  for (let i = 0; i < 2; i++) {
    if (!getVarint(b, pos, b.length)) throw bad();
    const len = varintOut.value;
    pos = varintOut.pos;
    if (pos + len > b.length) throw bad();
    keys.push(Buffer.from(b.subarray(pos, pos + len)));
    pos += len;
  }
  return {
    numEntries: nums[0]!,
    numDeletions: nums[1]!,
    smallestSeq: nums[2]!,
    largestSeq: nums[3]!,
    rawKeyBytes: nums[4]!,
    rawValueBytes: nums[5]!,
    numDataBlocks: nums[6]!,
    smallestKey: keys[0]!,
    largestKey: keys[1]!,
  };
}
