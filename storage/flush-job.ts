import { getVarint, putVarint, varintOut } from './coding.js';
import { CorruptionError } from './errors.js';
import { ValueType } from './internal-key.js';
import type { Memtable } from './memtable.js';
import { SSTableBuilder, type TableBuilderOptions } from './sstable-builder.js';
import type { TableProperties } from './sstable-format.js';
import { ownedCopy } from './compaction-job.js';

/**
 * A flush as a pure job: the memtable's newest version of each key, packed in
 * order into one buffer, in; one L0 table out. Packing is a memcpy per entry
 * on the writer's thread; building blocks, filter and checksums can then run
 * on a pool thread.
 *   entry = keyLen varint | key | seq u48 | type u8 | valueLen varint | value
 */
export interface FlushJobInput {
  entries: Uint8Array;
  count: number;
  table: TableBuilderOptions;
}

export interface FlushJobOutput {
  bytes: Uint8Array;
  props: TableProperties;
}

export function packMemtable(mem: Memtable): FlushJobInput['entries'] & { count: number } {
  const buf = Buffer.allocUnsafeSlow(mem.approximateBytes + 64);
  let pos = 0;
  let count = 0;
  let last: Buffer | null = null;
  const it = mem.iterator();
  for (it.seekToFirst(); it.valid(); it.next()) {
    const key = it.key();
    // Versions of a key come newest first; older ones are shadowed for good.
    if (last !== null && last.equals(key)) continue;
    last = key;
    const value = it.value();
    pos = putVarint(buf, pos, key.length);
    key.copy(buf, pos);
    pos += key.length;
    buf.writeUIntLE(it.seq(), pos, 6);
    buf[pos + 6] = it.type();
    pos = putVarint(buf, pos + 7, value.length);
    value.copy(buf, pos);
    pos += value.length;
    count++;
  }
  const out = buf.subarray(0, pos) as Buffer & { count: number };
  out.count = count;
  return out;
}

export function runFlushJob(input: FlushJobInput): FlushJobOutput {
  const e = input.entries;
  const buf = Buffer.from(e.buffer, e.byteOffset, e.byteLength);
  const b = new SSTableBuilder(input.table);
  let pos = 0;
  const bad = () => new CorruptionError('flush job: malformed packed memtable');
  for (let i = 0; i < input.count; i++) {
    if (!getVarint(buf, pos, buf.length)) throw bad();
    const klen = varintOut.value;
    pos = varintOut.pos;
    const key = buf.subarray(pos, pos + klen);
    pos += klen;
    const seq = buf.readUIntLE(pos, 6);
    const type = buf[pos + 6] as ValueType;
    if (!getVarint(buf, pos + 7, buf.length)) throw bad();
    const vlen = varintOut.value;
    pos = varintOut.pos;
    b.add(key, seq, type, buf.subarray(pos, pos + vlen));
    pos += vlen;
  }
  if (pos !== buf.length) throw bad();
  const t = b.finish();
  return { bytes: ownedCopy(t.bytes), props: t.props };
}

export const FLUSH_VALUE_TYPE_CHECK = ValueType.Value;
