import { describe, expect, it } from 'vitest';
import { CorruptionError } from './errors.js';
import { MemoryFileSystem } from './fs-memory.js';
import { readManifest } from './manifest.js';
import type { FileMeta } from './version.js';
import { decodeEdit, encodeEdit, type VersionEdit } from './version-edit.js';
import { VersionSet } from './version-set.js';

const file = (number: number, lo: string, hi: string, seq = number): FileMeta => ({
  number,
  sizeBytes: 1000,
  smallest: Buffer.from(lo),
  largest: Buffer.from(hi),
  smallestSeq: seq,
  largestSeq: seq,
  numEntries: 10,
  numDeletions: 1,
});

describe('version edits', () => {
  it('round-trip through their msgpack encoding', () => {
    const e: VersionEdit = {
      logNumber: 7,
      nextFileNumber: 9,
      lastSequence: 2 ** 40,
      appliedIndex: 55,
      added: [{ level: 2, file: file(3, 'a', 'm') }],
      deleted: [{ level: 0, number: 1 }],
    };
    expect(decodeEdit(encodeEdit(e))).toEqual(e);
  });

  it('reject malformed payloads with CorruptionError', () => {
    expect(() => decodeEdit(Buffer.from([0xc1]))).toThrow(CorruptionError);
    expect(() => decodeEdit(encodeEdit({ added: [], deleted: [] }).subarray(0, 3))).toThrow(CorruptionError);
  });
});

describe('VersionSet and manifest', () => {
  it('recovers the file set and counters after reopen', () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/db');
    const vs = new VersionSet(fs, '/db', 4);
    expect(vs.recover()).toBe(false);
    vs.rotateManifest();
    vs.logAndApply({ added: [{ level: 0, file: file(10, 'a', 'z') }], deleted: [], logNumber: 11, lastSequence: 100, appliedIndex: 5 });
    vs.logAndApply({ added: [{ level: 1, file: file(12, 'a', 'k') }], deleted: [{ level: 0, number: 10 }], lastSequence: 120 });
    vs.close();
    fs.crash();
    const again = new VersionSet(fs, '/db', 4);
    expect(again.recover()).toBe(true);
    expect(again.current.levels[0]).toEqual([]);
    expect(again.current.levels[1]!.map((f) => f.number)).toEqual([12]);
    expect(again.logNumber).toBe(11);
    expect(again.lastSequence).toBe(120);
    expect(again.appliedIndex).toBe(5);
  });

  it('ignores a torn last edit (its sync never returned) but fails loudly on a damaged middle edit', () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/db');
    const vs = new VersionSet(fs, '/db', 4);
    vs.recover();
    vs.rotateManifest();
    vs.logAndApply({ added: [{ level: 0, file: file(10, 'a', 'z') }], deleted: [] });
    fs.failAfter(1);
    expect(() => vs.logAndApply({ added: [{ level: 0, file: file(11, 'a', 'z') }], deleted: [] })).toThrow();
    fs.crash();
    const m = readManifest(fs, '/db')!;
    expect(m.edits.flatMap((e) => e.added.map((a) => a.file.number))).toEqual([10]);

    const path = `/db/${fs.list('/db').find((n) => n.startsWith('MANIFEST'))!}`;
    fs.flipBit(path, 20);
    expect(() => readManifest(fs, '/db')).toThrow(CorruptionError);
  });

  it('rotates to a new manifest once the old one passes its size limit', () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/db');
    const vs = new VersionSet(fs, '/db', 4, 600);
    vs.recover();
    vs.rotateManifest();
    const first = vs.manifestNumber;
    for (let i = 0; i < 20; i++) vs.logAndApply({ added: [{ level: 0, file: file(100 + i, 'a', 'b') }], deleted: [] });
    expect(vs.manifestNumber).not.toBe(first);
    const again = new VersionSet(fs, '/db', 4);
    again.recover();
    expect(again.current.levels[0]!.length).toBe(20);
  });

  it('keeps L0 newest first and deeper levels sorted by key', () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/db');
    const vs = new VersionSet(fs, '/db', 4);
    vs.recover();
    vs.rotateManifest();
    vs.logAndApply({
      added: [
        { level: 0, file: file(1, 'a', 'z', 5) },
        { level: 0, file: file(2, 'a', 'z', 9) },
        { level: 1, file: file(3, 'm', 'p') },
        { level: 1, file: file(4, 'a', 'c') },
      ],
      deleted: [],
    });
    expect(vs.current.levels[0]!.map((f) => f.number)).toEqual([2, 1]);
    expect(vs.current.levels[1]!.map((f) => f.number)).toEqual([4, 3]);
    expect(vs.current.findFile(1, Buffer.from('d'))).toBe(1);
    expect(vs.current.overlapping(1, Buffer.from('b'), Buffer.from('n')).map((f) => f.number)).toEqual([4, 3]);
  });
});
