import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../runtime/random.js';
import { compareBytes, keyPrefix48, ValueType } from './internal-key.js';
import { Memtable } from './memtable.js';
import { SkipList } from './skiplist.js';

function collect(list: SkipList): { key: string; seq: number }[] {
  const out: { key: string; seq: number }[] = [];
  for (let n = list.first(); n !== null; n = n.next[0]!) out.push({ key: n.key.toString('hex'), seq: n.seq });
  return out;
}

describe('SkipList', () => {
  it('keeps random keys sorted by key, then newest sequence first', () => {
    const r = new SeededRandom(42);
    const list = new SkipList(7);
    const inserted: { key: Buffer; seq: number }[] = [];
    for (let seq = 1; seq <= 3000; seq++) {
      // Short keys with shared prefixes and zero bytes exercise the prefix shortcuts.
      const key = Buffer.from(r.bytes(r.int(14)).map((b) => (b < 128 ? 0 : b % 3)));
      list.insert(key, seq, ValueType.Value, Buffer.alloc(0));
      inserted.push({ key, seq });
    }
    inserted.sort((a, b) => Buffer.compare(a.key, b.key) || b.seq - a.seq);
    expect(collect(list)).toEqual(inserted.map((e) => ({ key: e.key.toString('hex'), seq: e.seq })));
    expect(list.count).toBe(3000);
  });

  it('seek finds the first entry at or after (key, seq)', () => {
    const list = new SkipList();
    for (const [k, s] of [['b', 5], ['b', 3], ['d', 1]] as const) list.insert(Buffer.from(k), s, ValueType.Value, Buffer.from(`${k}${s}`));
    expect(list.seek(Buffer.from('b'), 4)!.seq).toBe(3);
    expect(list.seek(Buffer.from('b'), 9)!.seq).toBe(5);
    expect(list.seek(Buffer.from('c'), 9)!.key.toString()).toBe('d');
    expect(list.seek(Buffer.from('e'), 9)).toBeNull();
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
