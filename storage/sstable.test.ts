import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../runtime/random.js';
import { BlockCache } from './block-cache.js';
import { bloomHash, bloomMayContain, buildBloom, buildLegacyBloom } from './bloom.js';
import { CorruptionError } from './errors.js';
import { ValueType } from './internal-key.js';
import { SSTableBuilder } from './sstable-builder.js';
import { BLOCK_TRAILER_BYTES, FOOTER_BYTES } from './sstable-format.js';
import { bufferSource, SSTableReader } from './sstable-reader.js';

const opts = { blockSizeBytes: 256, blockRestartInterval: 4, bloomBitsPerKey: 10 };

function buildTable(n: number, seed = 1) {
  const r = new SeededRandom(seed);
  const keys = new Set<string>();
  while (keys.size < n) keys.add(Buffer.from(r.bytes(1 + r.int(12))).toString('hex'));
  const sorted = [...keys].map((k) => Buffer.from(k, 'hex')).sort(Buffer.compare);
  const b = new SSTableBuilder(opts);
  sorted.forEach((k, i) => b.add(k, i + 1, i % 7 === 0 ? ValueType.Deletion : ValueType.Value, i % 7 === 0 ? Buffer.alloc(0) : Buffer.from(`v${i}`)));
  return { sorted, ...b.finish() };
}

describe('SSTable builder and reader', () => {
  it('round-trips every entry through point lookups and iteration', () => {
    const { sorted, bytes, props } = buildTable(500);
    expect(props.numEntries).toBe(500);
    expect(props.numDataBlocks).toBeGreaterThan(10);
    expect(props.smallestKey.equals(sorted[0]!)).toBe(true);
    expect(props.largestKey.equals(sorted[499]!)).toBe(true);
    const t = SSTableReader.open(bufferSource(bytes), 1, 't');
    sorted.forEach((k, i) => {
      const r = t.get(k);
      expect(r, `key ${i}`).not.toBeNull();
      expect(r!.seq).toBe(i + 1);
      if (i % 7 === 0) expect(r!.type).toBe(ValueType.Deletion);
      else expect(r!.value.toString()).toBe(`v${i}`);
    });
    const it = t.iterator();
    const seen: Buffer[] = [];
    for (it.seekToFirst(); it.valid(); it.next()) seen.push(it.key());
    expect(seen).toEqual(sorted);
  });

  it('seek lands on the first key at or after the target, across blocks', () => {
    const { sorted, bytes } = buildTable(300, 2);
    const t = SSTableReader.open(bufferSource(bytes), 1, 't');
    const r = new SeededRandom(9);
    for (let i = 0; i < 200; i++) {
      const target = Buffer.from(r.bytes(1 + r.int(12)));
      const expected = sorted.find((k) => Buffer.compare(k, target) >= 0);
      const it = t.iterator();
      it.seek(target);
      if (expected === undefined) expect(it.valid()).toBe(false);
      else expect(it.key().toString('hex')).toBe(expected.toString('hex'));
    }
  });

  it('answers absent keys as absent', () => {
    const { sorted, bytes } = buildTable(200, 3);
    const t = SSTableReader.open(bufferSource(bytes), 1, 't');
    const present = new Set(sorted.map((k) => k.toString('hex')));
    const r = new SeededRandom(4);
    for (let i = 0; i < 500; i++) {
      const k = Buffer.from(r.bytes(1 + r.int(12)));
      if (!present.has(k.toString('hex'))) expect(t.get(k)).toBeNull();
    }
  });

  it('serves repeated reads from the block cache', () => {
    const { sorted, bytes } = buildTable(200, 5);
    const cache = new BlockCache(1 << 20);
    const t = SSTableReader.open(bufferSource(bytes), 7, 't', cache);
    t.get(sorted[10]!);
    const misses = cache.misses;
    t.get(sorted[10]!);
    expect(cache.misses).toBe(misses);
    expect(cache.hits).toBeGreaterThan(0);
  });

  it('rejects out-of-order keys', () => {
    const b = new SSTableBuilder(opts);
    b.add(Buffer.from('b'), 1, ValueType.Value, Buffer.from('1'));
    expect(() => b.add(Buffer.from('a'), 2, ValueType.Value, Buffer.from('2'))).toThrow();
  });

  it('detects a flipped bit in any block (data, filter, properties, index, footer) and reports it', () => {
    const { sorted, bytes } = buildTable(60, 6);
    const r = new SeededRandom(11);
    // Every byte of a small table, one random bit each.
    for (let byte = 0; byte < bytes.length; byte++) {
      const bad = Buffer.from(bytes);
      bad[byte]! ^= 1 << r.int(8);
      const reported: CorruptionError[] = [];
      let detected = false;
      try {
        const t = SSTableReader.open(bufferSource(bad), 1, 't', null, (e) => reported.push(e));
        for (const k of sorted) t.get(k);
        const it = t.iterator();
        for (it.seekToFirst(); it.valid(); it.next());
      } catch (e) {
        expect(e, `byte ${byte}`).toBeInstanceOf(CorruptionError);
        detected = true;
      }
      expect(detected, `flip at byte ${byte} of ${bytes.length} went unnoticed`).toBe(true);
      expect(reported.length).toBeGreaterThan(0);
    }
  });

  it('places the footer last and a trailer after each block', () => {
    const { bytes } = buildTable(10, 7);
    expect(bytes.subarray(bytes.length - 8).toString('ascii')).toBe('EDGEKVST');
    expect(FOOTER_BYTES).toBe(48);
    expect(BLOCK_TRAILER_BYTES).toBe(5);
  });
});

describe('bloom filter', () => {
  it('has no false negatives and about 1% false positives at 10 bits per key', () => {
    const n = 10_000;
    const hashes = new Uint32Array(n);
    for (let i = 0; i < n; i++) hashes[i] = bloomHash(Buffer.from(`key-${i}`));
    const f = buildBloom(hashes, n, 10);
    for (let i = 0; i < n; i++) expect(bloomMayContain(f, hashes[i]!)).toBe(true);
    let fp = 0;
    for (let i = 0; i < n; i++) if (bloomMayContain(f, bloomHash(Buffer.from(`other-${i}`)))) fp++;
    expect(fp / n).toBeLessThan(0.03);
  });

  it('cache-local layout: one 64-byte line per key, about 1% false positives over many keys; the older layout still reads', () => {
    const n = 200_000;
    const hashes = new Uint32Array(n);
    for (let i = 0; i < n; i++) hashes[i] = bloomHash(Buffer.from(`key-${i}`));
    const f = buildBloom(hashes, n, 10);
    expect(f[f.length - 1]).toBe(0x80 | 6);
    expect((f.length - 1) % 64).toBe(0);
    const legacy = buildLegacyBloom(hashes, n, 10);
    let misses = 0;
    for (let i = 0; i < n; i++) if (!bloomMayContain(f, hashes[i]!) || !bloomMayContain(legacy, hashes[i]!)) misses++;
    expect(misses).toBe(0);
    let fp = 0;
    let fpLegacy = 0;
    for (let i = 0; i < n; i++) {
      const h = bloomHash(Buffer.from(`other-${i}`));
      if (bloomMayContain(f, h)) fp++;
      if (bloomMayContain(legacy, h)) fpLegacy++;
    }
    expect(fp / n).toBeLessThan(0.015);
    expect(fpLegacy / n).toBeLessThan(0.015);
    // An unknown trailer never hides a key.
    const odd = Buffer.from(f);
    odd[odd.length - 1] = 0x80 | 31;
    expect(bloomMayContain(odd, bloomHash(Buffer.from('other-1')))).toBe(true);
  });
});
