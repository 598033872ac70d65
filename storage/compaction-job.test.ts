import { describe, expect, it } from 'vitest';
import { runCompactionJob } from './compaction-job.js';
import { ValueType } from './internal-key.js';
import { SSTableBuilder } from './sstable-builder.js';
import { bufferSource, SSTableReader } from './sstable-reader.js';

const table = { blockSizeBytes: 128, blockRestartInterval: 4, bloomBitsPerKey: 10 };

function build(entries: [string, number, ValueType, string][]): Buffer {
  const b = new SSTableBuilder(table);
  for (const [k, seq, type, v] of entries) b.add(Buffer.from(k), seq, type, Buffer.from(v));
  return b.finish().bytes;
}

function dump(bytes: Uint8Array): [string, number, ValueType, string][] {
  const t = SSTableReader.open(bufferSource(Buffer.from(bytes)), 1, 'out');
  const out: [string, number, ValueType, string][] = [];
  const it = t.iterator();
  for (it.seekToFirst(); it.valid(); it.next()) out.push([it.key().toString(), it.seq(), it.type(), it.value().toString()]);
  return out;
}

describe('compaction job', () => {
  const older = build([
    ['a', 1, ValueType.Value, 'a1'],
    ['b', 2, ValueType.Value, 'b2'],
    ['c', 3, ValueType.Value, 'c3'],
  ]);
  const newer = build([
    ['b', 5, ValueType.Deletion, ''],
    ['c', 6, ValueType.Value, 'c6'],
    ['d', 7, ValueType.Deletion, ''],
  ]);

  it('keeps the newest version of each key and drops shadowed ones, in any input order', () => {
    for (const inputs of [[older, newer], [newer, older]]) {
      const out = runCompactionJob({ inputs, targetFileSizeBytes: 1 << 20, dropTombstones: false, table });
      expect(out.tables).toHaveLength(1);
      expect(dump(out.tables[0]!.bytes)).toEqual([
        ['a', 1, ValueType.Value, 'a1'],
        ['b', 5, ValueType.Deletion, ''],
        ['c', 6, ValueType.Value, 'c6'],
        ['d', 7, ValueType.Deletion, ''],
      ]);
      expect(out.stats.droppedShadowed).toBe(2);
    }
  });

  it('drops tombstones at the bottom of the tree', () => {
    const out = runCompactionJob({ inputs: [older, newer], targetFileSizeBytes: 1 << 20, dropTombstones: true, table });
    expect(dump(out.tables[0]!.bytes).map((e) => e[0])).toEqual(['a', 'c']);
    expect(out.stats.droppedTombstones).toBe(2);
  });

  it('splits output at the target size between keys, into non-overlapping tables', () => {
    const many: [string, number, ValueType, string][] = [];
    for (let i = 0; i < 400; i++) many.push([`k${String(i).padStart(4, '0')}`, i + 1, ValueType.Value, 'x'.repeat(20)]);
    const out = runCompactionJob({ inputs: [build(many)], targetFileSizeBytes: 2048, dropTombstones: false, table });
    expect(out.tables.length).toBeGreaterThan(3);
    const all = out.tables.flatMap((t) => dump(t.bytes).map((e) => e[0]));
    expect(all).toEqual(many.map((e) => e[0]));
    for (let i = 1; i < out.tables.length; i++) {
      expect(Buffer.compare(out.tables[i - 1]!.props.largestKey, out.tables[i]!.props.smallestKey)).toBeLessThan(0);
    }
    // Outputs own their memory, so they can be moved across threads.
    for (const t of out.tables) expect(t.bytes.byteLength).toBe(t.bytes.buffer.byteLength);
  });
});
