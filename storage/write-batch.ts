import { getVarint, putVarint, varintLength, varintOut } from './coding.js';
import { CorruptionError } from './errors.js';
import { ValueType } from './internal-key.js';

/** One operation of a batch; `key` already carries its keyspace byte. */
export interface BatchOp {
  type: ValueType;
  key: Buffer;
  value: Buffer;
}

const EMPTY: Buffer = Buffer.alloc(0);

/**
 * WAL payload of one write batch (see FORMAT.md):
 *   firstSeq u48 | appliedIndex u48 | count varint | ops...
 *   op = type u8 | keyLen varint | key | (valueLen varint | value if type = Value)
 */
export function encodedBatchBytes(ops: readonly BatchOp[]): number {
  let n = 12 + varintLength(ops.length);
  for (const op of ops) {
    n += 1 + varintLength(op.key.length) + op.key.length;
    if (op.type === ValueType.Value) n += varintLength(op.value.length) + op.value.length;
  }
  return n;
}

export function encodeBatchInto(buf: Buffer, pos: number, firstSeq: number, appliedIndex: number, ops: readonly BatchOp[]): number {
  buf.writeUIntLE(firstSeq, pos, 6);
  buf.writeUIntLE(appliedIndex, pos + 6, 6);
  pos = putVarint(buf, pos + 12, ops.length);
  for (const op of ops) {
    buf[pos++] = op.type;
    pos = putVarint(buf, pos, op.key.length);
    buf.set(op.key, pos);
    pos += op.key.length;
    if (op.type === ValueType.Value) {
      pos = putVarint(buf, pos, op.value.length);
      buf.set(op.value, pos);
      pos += op.value.length;
    }
  }
  return pos;
}

export interface DecodedBatch {
  firstSeq: number;
  appliedIndex: number;
  ops: BatchOp[];
}

/** With `copy` false the ops' keys and values are views into `payload` (for a caller that copies them at once). */
export function decodeBatch(payload: Buffer, where: string, copy = true): DecodedBatch {
  const bad = (why: string) => new CorruptionError(`${where}: malformed write batch (${why})`);
  if (payload.length < 13) throw bad('too short');
  const firstSeq = payload.readUIntLE(0, 6);
  const appliedIndex = payload.readUIntLE(6, 6);
  const end = payload.length;
  if (!getVarint(payload, 12, end)) throw bad('count');
  const count = varintOut.value;
  let pos = varintOut.pos;
  const ops: BatchOp[] = [];
  for (let i = 0; i < count; i++) {
    if (pos >= end) throw bad('truncated op');
    const type = payload[pos++]!;
    if (type !== ValueType.Value && type !== ValueType.Deletion) throw bad(`op type ${type}`);
    if (!getVarint(payload, pos, end)) throw bad('key length');
    pos = varintOut.pos;
    const klen = varintOut.value;
    if (pos + klen > end) throw bad('key');
    const key = copy ? Buffer.from(payload.subarray(pos, pos + klen)) : payload.subarray(pos, pos + klen);
    pos += klen;
    let value = EMPTY;
    if (type === ValueType.Value) {
      if (!getVarint(payload, pos, end)) throw bad('value length');
      pos = varintOut.pos;
      const vlen = varintOut.value;
      if (pos + vlen > end) throw bad('value');
      value = copy ? Buffer.from(payload.subarray(pos, pos + vlen)) : payload.subarray(pos, pos + vlen);
      pos += vlen;
    }
    ops.push({ type, key, value });
  }
  if (pos !== end) throw bad('trailing bytes');
  return { firstSeq, appliedIndex, ops };
}
