import { describe, expect, it } from 'vitest';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { SeededRandom } from '../runtime/random.js';
import { crc32Range } from './checksum.js';
import { compareBytes, keyPrefix48, ValueType } from './internal-key.js';
import { Memtable } from './memtable.js';
import { MemEntry, MemtableTree, TreeCursor } from './memtable-tree.js';

function insert(tree: MemtableTree, key: Buffer, seq: number, value: Buffer = Buffer.alloc(0)): void {
  const arena = Buffer.concat([key, value]);
  tree.insert(new MemEntry(0, arena, 0, key.length, value.length, seq, ValueType.Value));
}

function collect(tree: MemtableTree): { key: string; seq: number }[] {
  const out: { key: string; seq: number }[] = [];
  const c = new TreeCursor();
  tree.seekToFirst(c);
  for (let e = tree.entryAt(c); e !== null; tree.advance(c, e), e = tree.entryAt(c)) out.push({ key: e.key.toString('hex'), seq: e.seq });
  return out;
}

describe('MemtableTree', () => {
  it('keeps random keys sorted by key, then newest sequence first, through many node splits', () => {
    const r = new SeededRandom(42);
    const tree = new MemtableTree();
    const inserted: { key: Buffer; seq: number }[] = [];
    for (let seq = 1; seq <= 20_000; seq++) {
      // Short keys with shared prefixes and zero bytes exercise the prefix shortcuts and ties.
      const key = Buffer.from(r.bytes(r.int(14)).map((b) => (b < 128 ? 0 : b % 3)));
      insert(tree, key, seq);
      inserted.push({ key, seq });
    }
    inserted.sort((a, b) => Buffer.compare(a.key, b.key) || b.seq - a.seq);
    expect(collect(tree)).toEqual(inserted.map((e) => ({ key: e.key.toString('hex'), seq: e.seq })));
    expect(tree.count).toBe(20_000);
  });

  it('find returns the first entry at or after (key, seq)', () => {
    const tree = new MemtableTree();
    for (const [k, s] of [['b', 5], ['b', 3], ['d', 1]] as const) insert(tree, Buffer.from(k), s, Buffer.from(`${k}${s}`));
    expect(tree.find(Buffer.from('b'), 4)!.seq).toBe(3);
    expect(tree.find(Buffer.from('b'), 9)!.seq).toBe(5);
    expect(tree.find(Buffer.from('c'), 9)!.key.toString()).toBe('d');
    expect(tree.find(Buffer.from('e'), 9)).toBeNull();
  });

  it('a cursor keeps its place while inserts split the nodes around it', () => {
    const tree = new MemtableTree();
    for (let i = 0; i < 1000; i += 2) insert(tree, Buffer.from(String(i).padStart(5, '0')), i + 1);
    const c = new TreeCursor();
    tree.seekToFirst(c);
    const seen: string[] = [];
    let e = tree.entryAt(c);
    let odd = 1;
    while (e !== null) {
      seen.push(e.key.toString());
      // Insert odd keys both behind and ahead of the cursor.
      if (odd < 1000) {
        insert(tree, Buffer.from(String(odd).padStart(5, '0')), 10_000 + odd);
        odd += 2;
      }
      tree.advance(c, e);
      e = tree.entryAt(c);
    }
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    // Every even key, plus the odd keys that landed ahead of the cursor.
    expect(seen.filter((k) => Number(k) % 2 === 0)).toHaveLength(500);
  });
});

describe('checksums', () => {
  it('the JS CRC-32 equals zlib for every length, and chains', () => {
    const r = new SeededRandom(5);
    for (let n = 0; n < 600; n += 7) {
      const b = Buffer.from(r.bytes(n));
      expect(crc32Range(b, 0, n)).toBe(zlibCrc32(b) >>> 0);
      const half = n >> 1;
      expect(crc32Range(b, half, n, crc32Range(b, 0, half))).toBe(zlibCrc32(b) >>> 0);
    }
  });
});

describe('key comparison helpers', () => {
  it('keyPrefix48 orders like the bytes whenever the prefixes differ', () => {
    const r = new SeededRandom(3);
    for (let i = 0; i < 2000; i++) {
      const a = Buffer.from(r.bytes(r.int(9)).map((b) => b % 4));
      const b = Buffer.from(r.bytes(r.int(9)).map((x) => x % 4));
      const pa = keyPrefix48(a);
      const pb = keyPrefix48(b);
      if (pa !== pb) expect(Math.sign(pa - pb)).toBe(Math.sign(Buffer.compare(a, b)));
      expect(Math.sign(compareBytes(a, 0, a.length, b, 0, b.length))).toBe(Math.sign(Buffer.compare(a, b)));
    }
  });
});

describe('Memtable', () => {
  it('returns the newest version, tombstones included, and respects a read sequence', () => {
    const m = new Memtable(1);
    m.add(1, ValueType.Value, Buffer.from('k'), Buffer.from('v1'));
    m.add(2, ValueType.Deletion, Buffer.from('k'), Buffer.alloc(0));
    m.add(3, ValueType.Value, Buffer.from('k'), Buffer.from('v3'));
    expect(m.get(Buffer.from('k'))!.value.toString()).toBe('v3');
    expect(m.get(Buffer.from('k'), 2)!.type).toBe(ValueType.Deletion);
    expect(m.get(Buffer.from('k'), 1)!.value.toString()).toBe('v1');
    expect(m.get(Buffer.from('j'))).toBeNull();
    expect(m.firstSeq).toBe(1);
    expect(m.lastSeq).toBe(3);
  });

  it('iterators hide versions newer than their sequence', () => {
    const m = new Memtable(1);
    m.add(1, ValueType.Value, Buffer.from('a'), Buffer.from('1'));
    const it = m.iterator(1);
    m.add(2, ValueType.Value, Buffer.from('b'), Buffer.from('2'));
    const seen: string[] = [];
    for (it.seekToFirst(); it.valid(); it.next()) seen.push(it.key().toString());
    expect(seen).toEqual(['a']);
  });

  it('charges key, value and per-entry overhead', () => {
    const m = new Memtable(1);
    m.add(1, ValueType.Value, Buffer.alloc(10), Buffer.alloc(100));
    expect(m.approximateBytes).toBeGreaterThanOrEqual(110);
  });
});
