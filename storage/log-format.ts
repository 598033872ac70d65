import { crc32Range, mask } from './checksum.js';

/**
 * Record framing shared by the WAL and the manifest (see FORMAT.md):
 *   crc u32 | length u32 | type u8 | headerCrc u32 | payload[length]
 * `headerCrc` covers length and type, so a flipped length bit is caught
 * before it is trusted; `crc` covers length, type and payload.
 */
export const RECORD_HEADER_BYTES = 13;

export const enum RecordType {
  WriteBatch = 1,
  VersionEdit = 2,
  /** One save of the Raft log store's WAL (storage/raft-log/FORMAT.md). */
  RaftLog = 3,
}

/** Writes the header for a payload already placed at `buf[pos + 13 ..]`. */
export function sealRecord(buf: Buffer, pos: number, type: RecordType, payloadLength: number): void {
  buf.writeUInt32LE(payloadLength, pos + 4);
  buf[pos + 8] = type;
  const headerCrc = crc32Range(buf, pos + 4, pos + 9);
  buf.writeUInt32LE(mask(headerCrc), pos + 9);
  // The record CRC continues the header CRC over the payload: length, type and payload.
  buf.writeUInt32LE(mask(crc32Range(buf, pos + 13, pos + 13 + payloadLength, headerCrc)), pos);
}

export function encodeRecord(type: RecordType, payload: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
  buf.set(payload, RECORD_HEADER_BYTES);
  sealRecord(buf, 0, type, payload.length);
  return buf;
}

export type RecordReadResult =
  | { kind: 'record'; type: number; payload: Buffer; next: number }
  | { kind: 'eof' }
  /** The file ends inside a record: an append the crash cut short. */
  | { kind: 'torn'; offset: number }
  | { kind: 'corrupt'; offset: number; reason: string };

/** Whether buf[from, to) holds only zeroes (space a file system extended but never wrote). */
export function allZero(buf: Buffer, from: number, to = buf.length): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Parses the record at `pos` of a whole file image. */
export function readRecord(buf: Buffer, pos: number): RecordReadResult {
  if (pos >= buf.length) return { kind: 'eof' };
  if (buf.length - pos < RECORD_HEADER_BYTES) {
    return { kind: 'torn', offset: pos };
  }
  const length = buf.readUInt32LE(pos + 4);
  const type = buf[pos + 8]!;
  const headerCrc = buf.readUInt32LE(pos + 9);
  const rawHeaderCrc = crc32Range(buf, pos + 4, pos + 9);
  if (mask(rawHeaderCrc) !== headerCrc) {
    // A file system may leave zeroed space after the last complete write.
    if (allZero(buf, pos)) return { kind: 'torn', offset: pos };
    return { kind: 'corrupt', offset: pos, reason: 'record header checksum mismatch' };
  }
  const end = pos + RECORD_HEADER_BYTES + length;
  if (end > buf.length) return { kind: 'torn', offset: pos };
  const crc = buf.readUInt32LE(pos);
  const actual = mask(crc32Range(buf, pos + 13, end, rawHeaderCrc));
  if (crc !== actual) return { kind: 'corrupt', offset: pos, reason: 'record checksum mismatch' };
  return { kind: 'record', type, payload: buf.subarray(pos + 13, end), next: end };
}
