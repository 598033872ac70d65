import { describe, expect, it } from 'vitest';
import { CorruptionError } from './errors.js';
import { MemoryFileSystem } from './fs-memory.js';
import { ValueType } from './internal-key.js';
import { readWal } from './wal-reader.js';
import { WalWriter } from './wal-writer.js';
import type { BatchOp } from './write-batch.js';

const put = (k: string, v: string): BatchOp => ({ type: ValueType.Value, key: Buffer.from(k), value: Buffer.from(v) });
const del = (k: string): BatchOp => ({ type: ValueType.Deletion, key: Buffer.from(k), value: Buffer.alloc(0) });

function writeWal(fs: MemoryFileSystem, path: string, batches: BatchOp[][], bufferBytes = 64): void {
  const w = new WalWriter(fs.create(path), 1, bufferBytes);
  let seq = 1;
  batches.forEach((ops, i) => {
    w.addBatch(seq, i + 100, ops);
    seq += ops.length;
  });
  w.sync();
  w.close();
}

describe('WAL', () => {
  it('replays batches in order with sequence numbers and applied indexes', () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/d');
    // A 64-byte buffer forces flushes mid-stream and one record larger than the buffer.
    writeWal(fs, '/d/1.log', [[put('a', '1'), del('b')], [put('c', 'x'.repeat(200))], []]);
    const r = readWal(fs, '/d/1.log', 'absolute-consistency');
    expect(r.corruption).toBeNull();
    expect(r.batches.map((b) => [b.firstSeq, b.appliedIndex, b.ops.length])).toEqual([
      [1, 100, 2],
      [3, 101, 1],
      [4, 102, 0],
    ]);
    expect(r.batches[0]!.ops[1]!.type).toBe(ValueType.Deletion);
    expect(r.batches[1]!.ops[0]!.value.toString()).toBe('x'.repeat(200));
  });

  it('treats a record cut short by a crash as a torn tail, not corruption', () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/d');
    const w = new WalWriter(fs.create('/d/1.log'), 1);
    fs.syncDir('/d');
    w.addBatch(1, 0, [put('a', '1')]);
    w.sync();
    w.addBatch(2, 0, [put('b', '2')]);
    w.flush();
    fs.failAfter(1);
    expect(() => {
      w.addBatch(3, 0, [put('c', '3')]);
      w.flush();
    }).toThrow();
    fs.crash();
    const r = readWal(fs, '/d/1.log', 'absolute-consistency');
    expect(r.batches.map((b) => b.firstSeq)).toEqual([1]);
    expect(r.corruption).toBeNull();
  });

  it('treats zero-filled space after the last record as the end, not as damage', () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/d');
    const f = fs.create('/d/1.log');
    const w = new WalWriter(f, 1);
    w.addBatch(1, 0, [put('a', '1')]);
    w.flush();
    // Some file systems leave preallocated, zeroed blocks after a crash.
    f.append(Buffer.alloc(100));
    const r = readWal(fs, '/d/1.log', 'absolute-consistency');
    expect(r.batches).toHaveLength(1);
    expect(r.corruption).toBeNull();
    expect(r.tornTailAt).not.toBeNull();
  });

  it('detects every single flipped bit in every record, and never returns that record', () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/d');
    writeWal(fs, '/d/1.log', [[put('key1', 'value1')], [put('key2', 'value2'), del('key3')]]);
    const size = fs.fileSize('/d/1.log');
    for (let byte = 0; byte < size; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        fs.flipBit('/d/1.log', byte, bit);
        const r = readWal(fs, '/d/1.log', 'point-in-time');
        expect(r.corruption, `byte ${byte} bit ${bit}`).toBeInstanceOf(CorruptionError);
        expect(() => readWal(fs, '/d/1.log', 'absolute-consistency')).toThrow(CorruptionError);
        // Only records before the damaged one come back.
        expect(r.batches.length).toBeLessThan(2);
        fs.flipBit('/d/1.log', byte, bit);
      }
    }
    expect(readWal(fs, '/d/1.log', 'absolute-consistency').batches).toHaveLength(2);
  });
});
