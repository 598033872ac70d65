import { crc32 } from 'node:zlib';
import { CorruptionError } from '../../runtime/errors.js';
import type { Entry, HardState, Snapshot } from '../../actors/raft/types.js';
import { RECORD_HEADER_BYTES, RecordType, sealRecord } from '../log-format.js';

/** Byte layouts of FORMAT.md. Each record is `crc32 | body`. */

function seal(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + body.byteLength);
  out.writeUInt32LE(crc32(body), 0);
  body.copy(out, 4);
  return out;
}

function open(what: string, rec: Uint8Array): Buffer {
  const buf = Buffer.from(rec.buffer, rec.byteOffset, rec.byteLength);
  if (buf.byteLength < 4) throw new CorruptionError(`${what}: record of ${buf.byteLength} bytes is too short`);
  const body = buf.subarray(4);
  if (crc32(body) !== buf.readUInt32LE(0)) throw new CorruptionError(`${what}: checksum mismatch`);
  return body;
}

export function encodeEntry(e: Entry): Buffer {
  const body = Buffer.allocUnsafe(9 + e.data.byteLength);
  body.writeDoubleLE(e.term, 0);
  body.writeUInt8(e.type === 'confChange' ? 1 : 0, 8);
  body.set(e.data, 9);
  return seal(body);
}

export function decodeEntry(index: number, rec: Uint8Array): Entry {
  const body = open(`raft log entry ${index}`, rec);
  if (body.byteLength < 9) throw new CorruptionError(`raft log entry ${index}: body of ${body.byteLength} bytes`);
  const type = body.readUInt8(8);
  if (type > 1) throw new CorruptionError(`raft log entry ${index}: unknown type ${type}`);
  return {
    index,
    term: body.readDoubleLE(0),
    type: type === 1 ? 'confChange' : 'normal',
    // Copy: lmdb may reuse the buffer it handed out.
    data: new Uint8Array(body.subarray(9)),
  };
}

/** Reads only the term, without copying the payload. */
export function decodeEntryTerm(index: number, rec: Uint8Array): number {
  const body = open(`raft log entry ${index}`, rec);
  return body.readDoubleLE(0);
}

export function encodeHardState(hs: HardState): Buffer {
  const body = Buffer.allocUnsafe(24);
  body.writeDoubleLE(hs.term, 0);
  body.writeDoubleLE(hs.vote, 8);
  body.writeDoubleLE(hs.commit, 16);
  return seal(body);
}

export function decodeHardState(rec: Uint8Array): HardState {
  const body = open('raft hard state', rec);
  if (body.byteLength !== 24) throw new CorruptionError(`raft hard state: ${body.byteLength} bytes, expected 24`);
  return { term: body.readDoubleLE(0), vote: body.readDoubleLE(8), commit: body.readDoubleLE(16) };
}

export function encodeCompacted(index: number, term: number): Buffer {
  const body = Buffer.allocUnsafe(16);
  body.writeDoubleLE(index, 0);
  body.writeDoubleLE(term, 8);
  return seal(body);
}

export function decodeCompacted(rec: Uint8Array): { index: number; term: number } {
  const body = open('raft compaction point', rec);
  if (body.byteLength !== 16) throw new CorruptionError(`raft compaction point: ${body.byteLength} bytes, expected 16`);
  return { index: body.readDoubleLE(0), term: body.readDoubleLE(8) };
}

export function encodeSnapshot(s: Snapshot): Buffer {
  const { voters, learners } = s.meta.confState;
  const head = 16 + 4 + 8 * voters.length + 4 + 8 * learners.length;
  const body = Buffer.allocUnsafe(head + s.data.byteLength);
  let at = 0;
  at = body.writeDoubleLE(s.meta.index, at);
  at = body.writeDoubleLE(s.meta.term, at);
  at = body.writeUInt32LE(voters.length, at);
  for (const v of voters) at = body.writeDoubleLE(v, at);
  at = body.writeUInt32LE(learners.length, at);
  for (const l of learners) at = body.writeDoubleLE(l, at);
  body.set(s.data, at);
  return seal(body);
}

export function decodeSnapshot(rec: Uint8Array): Snapshot {
  const body = open('raft snapshot', rec);
  const need = (n: number, at: number): void => {
    if (at + n > body.byteLength) throw new CorruptionError(`raft snapshot: truncated at byte ${at}`);
  };
  let at = 0;
  need(20, at);
  const index = body.readDoubleLE(0);
  const term = body.readDoubleLE(8);
  const nv = body.readUInt32LE(16);
  at = 20;
  need(8 * nv + 4, at);
  const voters: number[] = [];
  for (let i = 0; i < nv; i++, at += 8) voters.push(body.readDoubleLE(at));
  const nl = body.readUInt32LE(at);
  at += 4;
  need(8 * nl, at);
  const learners: number[] = [];
  for (let i = 0; i < nl; i++, at += 8) learners.push(body.readDoubleLE(at));
  return { meta: { index, term, confState: { voters, learners } }, data: new Uint8Array(body.subarray(at)) };
}

export function encodeWalSeq(seq: number): Buffer {
  const body = Buffer.allocUnsafe(8);
  body.writeDoubleLE(seq, 0);
  return seal(body);
}

export function decodeWalSeq(rec: Uint8Array): number {
  const body = open('raft WAL checkpoint sequence', rec);
  if (body.byteLength !== 8) throw new CorruptionError(`raft WAL checkpoint sequence: ${body.byteLength} bytes, expected 8`);
  return body.readDoubleLE(0);
}

/** What one WAL record holds: one save (FORMAT.md, "WAL record payload"). */
export interface WalRecord {
  readonly seq: number;
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
}

const WAL_HAS_HARD_STATE = 1;
const WAL_ENTRY_HEAD = 8 + 8 + 1 + 4;

/** The whole framed record (log-format.ts header + payload), ready to append. */
export function encodeWalRecord(seq: number, hardState: HardState | undefined, entries: readonly Entry[]): Buffer {
  let payload = 8 + 1 + (hardState ? 24 : 0) + 4;
  for (const e of entries) payload += WAL_ENTRY_HEAD + e.data.byteLength;
  const buf = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload);
  let at = RECORD_HEADER_BYTES;
  at = buf.writeDoubleLE(seq, at);
  at = buf.writeUInt8(hardState ? WAL_HAS_HARD_STATE : 0, at);
  if (hardState) {
    at = buf.writeDoubleLE(hardState.term, at);
    at = buf.writeDoubleLE(hardState.vote, at);
    at = buf.writeDoubleLE(hardState.commit, at);
  }
  at = buf.writeUInt32LE(entries.length, at);
  for (const e of entries) {
    at = buf.writeDoubleLE(e.index, at);
    at = buf.writeDoubleLE(e.term, at);
    at = buf.writeUInt8(e.type === 'confChange' ? 1 : 0, at);
    at = buf.writeUInt32LE(e.data.byteLength, at);
    buf.set(e.data, at);
    at += e.data.byteLength;
  }
  sealRecord(buf, 0, RecordType.RaftLog, payload);
  return buf;
}

/** Decodes a payload whose framing checksum already matched; `where` names it in errors. */
export function decodeWalRecord(payload: Buffer, where: string): WalRecord {
  const fail = (why: string): never => {
    throw new CorruptionError(`${where}: ${why}`);
  };
  const need = (n: number, at: number): void => {
    if (at + n > payload.byteLength) fail(`record truncated at payload byte ${at}`);
  };
  need(9, 0);
  const seq = payload.readDoubleLE(0);
  const flags = payload.readUInt8(8);
  if ((flags & ~WAL_HAS_HARD_STATE) !== 0) fail(`unknown flags ${flags}`);
  let at = 9;
  let hardState: HardState | undefined;
  if (flags & WAL_HAS_HARD_STATE) {
    need(24, at);
    hardState = { term: payload.readDoubleLE(at), vote: payload.readDoubleLE(at + 8), commit: payload.readDoubleLE(at + 16) };
    at += 24;
  }
  need(4, at);
  const count = payload.readUInt32LE(at);
  at += 4;
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    need(WAL_ENTRY_HEAD, at);
    const index = payload.readDoubleLE(at);
    const term = payload.readDoubleLE(at + 8);
    const type = payload.readUInt8(at + 16);
    const len = payload.readUInt32LE(at + 17);
    at += WAL_ENTRY_HEAD;
    need(len, at);
    if (type > 1) fail(`entry ${index}: unknown type ${type}`);
    if (i > 0 && index !== entries[i - 1]!.index + 1) fail(`entry ${index} does not follow ${entries[i - 1]!.index}`);
    // Copy: the file image the payload lives in is dropped after recovery.
    entries.push({ index, term, type: type === 1 ? 'confChange' : 'normal', data: new Uint8Array(payload.subarray(at, at + len)) });
    at += len;
  }
  if (at !== payload.byteLength) fail(`${payload.byteLength - at} trailing bytes`);
  return { seq, ...(hardState ? { hardState } : {}), entries };
}
