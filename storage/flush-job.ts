import { compareBytes, type ValueType } from './internal-key.js';
import type { Memtable } from './memtable.js';
import type { MemEntry } from './memtable-tree.js';
import { SSTableBuilder, type TableBuilderOptions } from './sstable-builder.js';
import type { TableProperties } from './sstable-format.js';
import { ownedCopy } from './compaction-job.js';
import { CorruptionError } from './errors.js';

/**
 * A flush as a pure job: the memtable's arena chunks plus, in key order, where
 * the newest version of each key lies in them; one L0 table out. The writer's
 * thread only walks the tree filling a Float64Array (no byte copying, no calls
 * into C++ per entry); building blocks, filter and checksums runs on a pool thread.
 *   index, per entry: chunk, offset, keyLength, valueLength, seq, type
 */
export interface FlushJobInput {
  chunks: Uint8Array[];
  index: Float64Array;
  count: number;
  table: TableBuilderOptions;
}

export interface FlushJobOutput {
  bytes: Uint8Array;
  props: TableProperties;
}

export const FLUSH_INDEX_FIELDS = 6;

export function flushInputOf(mem: Memtable, table: TableBuilderOptions): FlushJobInput {
  const index = new Float64Array(mem.count * FLUSH_INDEX_FIELDS);
  let n = 0;
  let last: MemEntry | null = null;
  mem.forEachEntry((e) => {
    // Versions of a key come newest first; older ones are shadowed for good.
    if (last !== null && last.klen === e.klen && compareBytes(last.arena, last.off, last.off + last.klen, e.arena, e.off, e.off + e.klen) === 0) return;
    last = e;
    const p = n * FLUSH_INDEX_FIELDS;
    index[p] = e.chunk;
    index[p + 1] = e.off;
    index[p + 2] = e.klen;
    index[p + 3] = e.vlen;
    index[p + 4] = e.seq;
    index[p + 5] = e.type;
    n++;
  });
  const chunks = mem.chunks.map((c, i) => (i === mem.chunks.length - 1 ? c.subarray(0, mem.lastChunkUsed) : c));
  return { chunks, index: index.subarray(0, n * FLUSH_INDEX_FIELDS), count: n, table };
}

export function runFlushJob(input: FlushJobInput): FlushJobOutput {
  const chunks = input.chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  const ix = input.index;
  const b = new SSTableBuilder(input.table);
  if (ix.length < input.count * FLUSH_INDEX_FIELDS) throw new CorruptionError('flush job: index shorter than its count');
  for (let i = 0; i < input.count; i++) {
    const p = i * FLUSH_INDEX_FIELDS;
    const chunk = chunks[ix[p]!];
    const off = ix[p + 1]!;
    const klen = ix[p + 2]!;
    const vlen = ix[p + 3]!;
    if (chunk === undefined || off + klen + vlen > chunk.length) throw new CorruptionError(`flush job: entry ${i} outside its chunk`);
    b.add(chunk.subarray(off, off + klen), ix[p + 4]!, ix[p + 5]! as ValueType, chunk.subarray(off + klen, off + klen + vlen));
  }
  const t = b.finish();
  return { bytes: ownedCopy(t.bytes), props: t.props };
}
