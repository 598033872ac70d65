import { compareKeys, ValueType, type InternalIterator } from './internal-key.js';
import { MergingIterator } from './merging-iterator.js';
import { SSTableBuilder, type TableBuilderOptions } from './sstable-builder.js';
import type { TableProperties } from './sstable-format.js';
import { bufferSource, SSTableReader } from './sstable-reader.js';

/**
 * The merge, as a pure job: SSTable bytes in, SSTable bytes out, no paths and
 * no clock, so it can run in a piscina worker here or on another node.
 */
export interface CompactionJobInput {
  /** Whole SSTable images; order does not matter (sequence numbers decide). */
  inputs: Uint8Array[];
  targetFileSizeBytes: number;
  /** True when no older data for this key range can exist below the output level. */
  dropTombstones: boolean;
  table: TableBuilderOptions;
}

export interface CompactionJobStats {
  inputEntries: number;
  outputEntries: number;
  droppedShadowed: number;
  droppedTombstones: number;
  inputBytes: number;
  outputBytes: number;
}

export interface CompactionJobOutput {
  tables: { bytes: Uint8Array; props: TableProperties }[];
  stats: CompactionJobStats;
}

/** A buffer that owns its whole ArrayBuffer, so it can be transferred without detaching a pool. */
export function ownedCopy(b: Uint8Array): Uint8Array {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !(b.buffer instanceof SharedArrayBuffer)) return b;
  const out = new Uint8Array(b.byteLength);
  out.set(b);
  return out;
}

/**
 * Writes the newest version of every key of `it` into tables of about
 * `targetFileSizeBytes`, dropping shadowed versions and, if allowed, tombstones.
 */
export function writeMergedTables(
  it: InternalIterator,
  options: { targetFileSizeBytes: number; dropTombstones: boolean; table: TableBuilderOptions },
  stats: CompactionJobStats,
): { bytes: Uint8Array; props: TableProperties }[] {
  const out: { bytes: Uint8Array; props: TableProperties }[] = [];
  let builder: SSTableBuilder | null = null;
  let lastKey: Buffer | null = null;
  const finish = () => {
    if (builder !== null && builder.numEntries > 0) {
      const t = builder.finish();
      stats.outputBytes += t.bytes.length;
      out.push({ bytes: ownedCopy(t.bytes), props: t.props });
    }
    builder = null;
  };
  for (it.seekToFirst(); it.valid(); it.next()) {
    stats.inputEntries++;
    const key = it.key();
    if (lastKey !== null && compareKeys(lastKey, key) === 0) {
      stats.droppedShadowed++;
      continue;
    }
    lastKey = key;
    const type = it.type();
    if (type === ValueType.Deletion && options.dropTombstones) {
      stats.droppedTombstones++;
      continue;
    }
    if (builder === null) builder = new SSTableBuilder(options.table);
    builder.add(key, it.seq(), type, it.value());
    stats.outputEntries++;
    // Cut only between keys: every key lives in exactly one output file.
    if (builder.estimatedBytes >= options.targetFileSizeBytes) finish();
  }
  finish();
  return out;
}

export function runCompactionJob(input: CompactionJobInput): CompactionJobOutput {
  const stats: CompactionJobStats = {
    inputEntries: 0,
    outputEntries: 0,
    droppedShadowed: 0,
    droppedTombstones: 0,
    inputBytes: 0,
    outputBytes: 0,
  };
  const readers = input.inputs.map((bytes, i) => {
    stats.inputBytes += bytes.byteLength;
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return SSTableReader.open(bufferSource(buf), i, `compaction input #${i}`);
  });
  const merged = new MergingIterator(readers.map((r) => r.iterator(false)));
  const tables = writeMergedTables(merged, input, stats);
  return { tables, stats };
}
