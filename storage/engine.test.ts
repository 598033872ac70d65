import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../runtime/errors.js';
import { LsmEngine, type EngineOptions } from './engine.js';
import { CorruptionError, EngineClosedError, KeyTooLargeError, UnknownKeyspaceError, ValueTooLargeError } from './errors.js';
import { MemoryFileSystem } from './fs-memory.js';
import { parseFileName } from './filenames.js';
import { slabStats } from './read-slab.js';
import { GatedJobRunner } from './testing/gated-job-runner.js';
import { ManualClock } from './testing/manual-clock.js';

const b = (s: string) => Buffer.from(s);
const str = (v: Buffer | undefined) => v?.toString();

/** Tiny sizes so a few hundred writes go through flushes and several levels. */
function small(fs: MemoryFileSystem, extra: Partial<EngineOptions> = {}): EngineOptions {
  return {
    fs,
    dir: '/db',
    writeBufferSizeBytes: 2048,
    level0FileNumCompactionTrigger: 2,
    maxBytesForLevelBaseBytes: 8192,
    maxBytesForLevelMultiplier: 4,
    targetFileSizeBaseBytes: 2048,
    blockSizeBytes: 256,
    numLevels: 4,
    ...extra,
  };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('LsmEngine basics', () => {
  it('puts, gets, deletes and scans, keeping the two keyspaces apart', async () => {
    const e = await LsmEngine.open(small(new MemoryFileSystem()));
    await e.put('local', b('a'), b('1'));
    await e.put('local', b('b'), b('2'));
    await e.put('global', b('a'), b('G'));
    await e.delete('local', b('b'));
    expect(str(e.get('local', b('a')))).toBe('1');
    expect(e.get('local', b('b'))).toBeUndefined();
    expect(str(e.get('global', b('a')))).toBe('G');
    expect(e.scan('local').map((x) => x.key.toString())).toEqual(['a']);
    expect(e.scan('global').map((x) => [x.key.toString(), x.value.toString()])).toEqual([['a', 'G']]);
    await e.close();
  });

  it('scans honour start (inclusive), end (exclusive) and limit across memtable and tables', async () => {
    const e = await LsmEngine.open(small(new MemoryFileSystem()));
    for (let i = 0; i < 300; i++) await e.put('local', b(`k${String(i).padStart(3, '0')}`), b(`v${i}`));
    await e.flush();
    for (let i = 0; i < 300; i += 3) await e.delete('local', b(`k${String(i).padStart(3, '0')}`));
    const got = e.scan('local', { start: b('k010'), end: b('k020') }).map((x) => x.key.toString());
    expect(got).toEqual(['k010', 'k011', 'k013', 'k014', 'k016', 'k017', 'k019']);
    expect(e.scan('local', { start: b('k100'), limit: 3 }).map((x) => x.key.toString())).toEqual(['k100', 'k101', 'k103']);
    expect(e.scan('local')).toHaveLength(200);
    await e.close();
  });

  it('rejects bad input with typed errors and changes nothing', async () => {
    const e = await LsmEngine.open(small(new MemoryFileSystem(), { maxKeySizeBytes: 8, maxValueSizeBytes: 16 }));
    await expect(e.put('local', Buffer.alloc(9), b('v'))).rejects.toBeInstanceOf(KeyTooLargeError);
    await expect(e.put('local', b('k'), Buffer.alloc(17))).rejects.toBeInstanceOf(ValueTooLargeError);
    await expect(e.put('nope' as 'local', b('k'), b('v'))).rejects.toBeInstanceOf(UnknownKeyspaceError);
    await expect(e.write([{ keyspace: 'local', key: b('ok'), value: b('v') }, { keyspace: 'local', key: Buffer.alloc(9), value: b('v') }])).rejects.toBeInstanceOf(KeyTooLargeError);
    await expect(e.put('local', b('k'), b('v'), { appliedIndex: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(e.scan('local')).toEqual([]);
    expect(e.lastSequence).toBe(0);
    await e.close();
    await expect(e.put('local', b('k'), b('v'))).rejects.toBeInstanceOf(EngineClosedError);
  });

  it('an iterator sees the engine as of its creation while writes, flushes and compactions go on', async () => {
    const e = await LsmEngine.open(small(new MemoryFileSystem()));
    for (let i = 0; i < 100; i++) await e.put('local', b(`k${String(i).padStart(3, '0')}`), b('old'));
    await e.flush();
    const it = e.iterate('local');
    const first = it.next();
    expect(first.value!.key.toString()).toBe('k000');
    for (let i = 0; i < 100; i++) await e.put('local', b(`k${String(i).padStart(3, '0')}`), b('new'));
    await e.compactAll();
    const rest = [...it];
    expect(rest).toHaveLength(99);
    expect(rest.every((x) => x.value.toString() === 'old')).toBe(true);
    expect(str(e.get('local', b('k050')))).toBe('new');
    await e.close();
  });
});

describe('LsmEngine flushes, compactions and files', () => {
  it('flushes to L0, compacts into deeper non-overlapping levels, and deletes obsolete files', async () => {
    const fs = new MemoryFileSystem();
    const e = await LsmEngine.open(small(fs));
    const model = new Map<string, string>();
    for (let i = 0; i < 2000; i++) {
      const k = `key${(i * 7919) % 500}`;
      await e.put('local', b(k), b(`value-${i}`));
      model.set(k, `value-${i}`);
    }
    await e.waitForIdle();
    const st = e.stats();
    expect(st.flushes).toBeGreaterThan(5);
    expect(st.compactions).toBeGreaterThan(0);
    expect(st.levels.slice(1).some((l) => l.files > 0)).toBe(true);
    for (const { level, file } of e.currentFiles()) {
      if (level === 0) continue;
      const same = e.currentFiles().filter((x) => x.level === level && x.file !== file);
      for (const { file: o } of same) expect(Buffer.compare(file.largest, o.smallest) < 0 || Buffer.compare(o.largest, file.smallest) < 0).toBe(true);
    }
    for (const [k, v] of model) expect(str(e.get('local', b(k)))).toBe(v);
    // Only live tables stay on disk.
    const live = new Set(e.currentFiles().map((x) => x.file.number));
    const onDisk = fs.list('/db').map(parseFileName).filter((p) => p.kind === 'table');
    expect(onDisk.map((p) => (p as { number: number }).number).sort()).toEqual([...live].sort());
    await e.compactAll();
    expect(e.stats().levels[0]!.files).toBe(0);
    expect(e.scan('local')).toHaveLength(500);
    await e.close();
  });

  it('compactAll drops tombstones at the bottom', async () => {
    const e = await LsmEngine.open(small(new MemoryFileSystem()));
    for (let i = 0; i < 200; i++) await e.put('local', b(`k${i}`), b('v'));
    for (let i = 0; i < 200; i++) await e.delete('local', b(`k${i}`));
    await e.compactAll();
    expect(e.currentFiles()).toHaveLength(0);
    expect(e.scan('local')).toEqual([]);
    await e.close();
  });
});

describe('LsmEngine durability', () => {
  it('reopens with everything after a clean close', async () => {
    const fs = new MemoryFileSystem();
    let e = await LsmEngine.open(small(fs));
    for (let i = 0; i < 500; i++) await e.put('global', b(`k${i}`), b(`v${i}`));
    await e.close();
    e = await LsmEngine.open(small(fs));
    for (let i = 0; i < 500; i++) expect(str(e.get('global', b(`k${i}`)))).toBe(`v${i}`);
    expect(e.lastSequence).toBe(500);
    await e.close();
  });

  it('keeps synced writes and may lose only unsynced ones in a power loss', async () => {
    const fs = new MemoryFileSystem();
    let e = await LsmEngine.open(small(fs, { writeBufferSizeBytes: 1 << 20 }));
    await e.put('local', b('synced'), b('1'), { sync: true });
    await e.put('local', b('unsynced'), b('2'));
    fs.crash();
    e = await LsmEngine.open(small(fs));
    expect(str(e.get('local', b('synced')))).toBe('1');
    expect(e.get('local', b('unsynced'))).toBeUndefined();
    await e.close();
  });

  it('never keeps a synced write while losing unsynced writes made before it in an older WAL', async () => {
    const fs = new MemoryFileSystem();
    const jobs = new GatedJobRunner();
    const e = await LsmEngine.open(small(fs, { jobs, writeBufferSizeBytes: 600, maxWriteBufferNumber: 4 }));
    // Unsynced writes fill the first memtable; its flush is held back, so they live only in the old WAL.
    let i = 0;
    while (e.stats().immutableMemtables === 0) await e.put('local', b(`early${i++}`), Buffer.alloc(40));
    await e.put('local', b('late'), b('synced'), { sync: true });
    fs.crash();
    const r = await LsmEngine.open(small(fs));
    expect(str(r.get('local', b('late')))).toBe('synced');
    for (let j = 0; j < i; j++) expect(r.get('local', b(`early${j}`)), `early${j}`).toBeDefined();
    await r.close();
  });

  it('in a Raft group (no WAL) records the applied index of what is in tables', async () => {
    const fs = new MemoryFileSystem();
    let e = await LsmEngine.open(small(fs, { wal: false, writeBufferSizeBytes: 1 << 20 }));
    await e.put('local', b('a'), b('1'), { appliedIndex: 10 });
    await e.write([], { appliedIndex: 11 });
    await e.flush();
    await e.put('local', b('b'), b('2'), { appliedIndex: 12 });
    expect(e.appliedIndex).toBe(12);
    expect(e.durableAppliedIndex).toBe(11);
    fs.crash();
    e = await LsmEngine.open(small(fs, { wal: false }));
    expect(e.durableAppliedIndex).toBe(11);
    expect(str(e.get('local', b('a')))).toBe('1');
    // Raft replays from index 12 on.
    expect(e.get('local', b('b'))).toBeUndefined();
    expect(fs.list('/db').some((n) => n.endsWith('.log'))).toBe(false);
    await e.close();
  });

  it('reports a damaged WAL record on reopen and keeps the writes before it', async () => {
    const fs = new MemoryFileSystem();
    let e = await LsmEngine.open(small(fs, { writeBufferSizeBytes: 1 << 20 }));
    await e.put('local', b('a'), b('1'), { sync: true });
    await e.put('local', b('b'), b('2'), { sync: true });
    const wal = fs.list('/db').find((n) => n.endsWith('.log'))!;
    fs.flipBit(`/db/${wal}`, fs.fileSize(`/db/${wal}`) - 2);
    fs.crash();
    const seen: CorruptionError[] = [];
    e = await LsmEngine.open(small(fs, { onCorruption: (err) => seen.push(err) }));
    expect(seen).toHaveLength(1);
    expect(e.stats().recovery.walCorruption).toMatch(/checksum/);
    expect(str(e.get('local', b('a')))).toBe('1');
    expect(e.get('local', b('b'))).toBeUndefined();
    await e.close();
  });

  it('refuses to open on a damaged WAL in absolute-consistency mode', async () => {
    const fs = new MemoryFileSystem();
    const e = await LsmEngine.open(small(fs, { writeBufferSizeBytes: 1 << 20 }));
    await e.put('local', b('a'), b('1'), { sync: true });
    const wal = fs.list('/db').find((n) => n.endsWith('.log'))!;
    fs.flipBit(`/db/${wal}`, 20);
    fs.crash();
    await expect(LsmEngine.open(small(fs, { walRecovery: 'absolute-consistency' }))).rejects.toBeInstanceOf(CorruptionError);
  });
});

describe('LsmEngine corruption in tables', () => {
  it('never serves a damaged block: the read throws CorruptionError and it is reported', async () => {
    const fs = new MemoryFileSystem();
    const seen: CorruptionError[] = [];
    const e = await LsmEngine.open(small(fs, { onCorruption: (err) => seen.push(err), blockCacheSizeBytes: 0 }));
    for (let i = 0; i < 50; i++) await e.put('local', b(`k${i}`), b(`value-${i}`));
    await e.flush();
    await e.waitForIdle();
    // The table holding k0 (stored with the local keyspace tag 0x00); its first data block starts at byte 0.
    const k0 = Buffer.from('\x00k0', 'latin1');
    const holder = e.currentFiles().find(({ file }) => Buffer.compare(file.smallest, k0) <= 0 && Buffer.compare(k0, file.largest) <= 0)!;
    fs.flipBit(`/db/${String(holder.file.number).padStart(6, '0')}.sst`, 3);
    expect(() => e.get('local', b('k0'))).toThrow(CorruptionError);
    expect(() => e.scan('local')).toThrow(CorruptionError);
    expect(seen.length).toBeGreaterThan(0);
    expect(e.stats().corruptions).toBe(seen.length);
    await e.close();
  });

  it('stops writes when a merge meets a damaged input, instead of writing bad data on', async () => {
    const fs = new MemoryFileSystem();
    const e = await LsmEngine.open(small(fs, { autoCompactions: false }));
    for (let i = 0; i < 50; i++) await e.put('local', b(`k${i}`), b(`value-${i}`));
    await e.flush();
    const sst = fs.list('/db').find((n) => n.endsWith('.sst'))!;
    fs.flipBit(`/db/${sst}`, 3);
    await expect(e.compactAll()).rejects.toBeInstanceOf(CorruptionError);
    await expect(e.put('local', b('x'), b('y'))).rejects.toBeInstanceOf(EngineClosedError);
    expect(e.stats().backgroundError).toMatch(/checksum/);
    await e.close();
  });
});

describe('LsmEngine write stalls', () => {
  it('stops writes at the memtable limit until the flush completes, and measures the stall', async () => {
    const clock = new ManualClock();
    const jobs = new GatedJobRunner();
    const e = await LsmEngine.open(small(new MemoryFileSystem(), { clock, jobs, writeBufferSizeBytes: 300, maxWriteBufferNumber: 2 }));
    let i = 0;
    while (e.stats().stall.condition !== 'stopped') await e.put('local', b(`k${i++}`), Buffer.alloc(50));
    expect(e.stats().stall.cause).toBe('memtable-limit');
    let done = false;
    const p = e.put('local', b('late'), b('v')).then(() => (done = true));
    await flush();
    clock.advance(25);
    await flush();
    expect(done).toBe(false);
    jobs.gated = false;
    jobs.releaseAll();
    await p;
    const st = e.stats().stall;
    expect(st.condition).toBe('normal');
    expect(st.stoppedMs).toBe(25);
    expect(st.byCauseMs['memtable-limit']).toBe(25);
    await e.close();
  });

  it('stops at the L0 stop trigger and resumes once compaction drains L0', async () => {
    const clock = new ManualClock();
    const e = await LsmEngine.open(
      small(new MemoryFileSystem(), { clock, autoCompactions: true, level0FileNumCompactionTrigger: 100, level0SlowdownWritesTrigger: 50, level0StopWritesTrigger: 2 }),
    );
    await e.put('local', b('a'), b('1'));
    await e.flush();
    await e.put('local', b('b'), b('2'));
    await e.flush();
    expect(e.stats().stall).toMatchObject({ condition: 'stopped', cause: 'l0-file-count' });
    let done = false;
    const p = e.put('local', b('c'), b('3')).then(() => (done = true));
    clock.advance(40);
    await flush();
    expect(done).toBe(false);
    await e.compactAll();
    await p;
    expect(e.stats().stall.byCauseMs['l0-file-count']).toBe(40);
    expect(str(e.get('local', b('c')))).toBe('3');
    await e.close();
  });

  it('delays writes at the L0 slowdown trigger to the delayed write rate', async () => {
    const clock = new ManualClock();
    const e = await LsmEngine.open(
      small(new MemoryFileSystem(), {
        clock,
        level0FileNumCompactionTrigger: 100,
        level0SlowdownWritesTrigger: 1,
        level0StopWritesTrigger: 100,
        delayedWriteRateBytesPerSec: 1000,
        minDelayedWriteRateBytesPerSec: 100,
      }),
    );
    await e.put('local', b('a'), b('1'));
    await e.flush();
    expect(e.stats().stall).toMatchObject({ condition: 'delayed', cause: 'l0-file-count' });
    let done = false;
    // 1 tag byte + 1 key byte + 98 value bytes = 100 bytes at 1000 B/s: 100 ms.
    const p = e.put('local', b('k'), Buffer.alloc(98)).then(() => (done = true));
    await flush();
    clock.advance(99);
    await flush();
    expect(done).toBe(false);
    clock.advance(1);
    await p;
    expect(e.stats().stall.delayedMs).toBe(100);
    await e.close();
  });
});

describe('LsmEngine snapshots and range moves', () => {
  it('restores a snapshot into another directory with the same contents and applied index', async () => {
    const fs = new MemoryFileSystem();
    const a = await LsmEngine.open(small(fs));
    for (let i = 0; i < 300; i++) await a.put(i % 2 ? 'local' : 'global', b(`k${i}`), b(`v${i}`), { appliedIndex: i + 1 });
    const snap = await a.createSnapshot();
    await a.put('local', b('after'), b('x'));
    const r = await LsmEngine.restore(small(fs, { dir: '/other' }), snap);
    expect(r.durableAppliedIndex).toBe(300);
    expect(r.scan('local')).toEqual(a.scan('local').filter((x) => x.key.toString() !== 'after'));
    expect(r.scan('global')).toEqual(a.scan('global'));
    await r.put('local', b('new'), b('1'));
    await r.close();
    const again = await LsmEngine.open(small(fs, { dir: '/other' }));
    expect(str(again.get('local', b('new')))).toBe('1');
    await again.close();
    await a.close();
  });

  it('a snapshot restored over an existing engine replaces it entirely; a damaged one is refused', async () => {
    const fs = new MemoryFileSystem();
    const a = await LsmEngine.open(small(fs));
    await a.put('local', b('a'), b('1'));
    const snap = await a.createSnapshot();
    await a.close();
    const other = await LsmEngine.open(small(fs, { dir: '/x' }));
    await other.put('local', b('zzz'), b('old'));
    await other.close();
    const bad = Buffer.from(snap);
    bad[bad.length - 10]! ^= 4;
    await expect(LsmEngine.restore(small(fs, { dir: '/x' }), bad)).rejects.toBeInstanceOf(CorruptionError);
    const r = await LsmEngine.restore(small(fs, { dir: '/x' }), snap);
    expect(r.scan('local').map((x) => x.key.toString())).toEqual(['a']);
    await r.close();
  });

  it('exports a global key range in chunks and imports it elsewhere; local keys stay home', async () => {
    const fs = new MemoryFileSystem();
    const from = await LsmEngine.open(small(fs, { exportChunkBytes: 200 }));
    for (let i = 0; i < 100; i++) {
      await from.put('global', b(`g${String(i).padStart(3, '0')}`), b(`v${i}`));
      await from.put('local', b(`g${String(i).padStart(3, '0')}`), b('local'));
    }
    const to = await LsmEngine.open(small(fs, { dir: '/to' }));
    const chunks = [...from.exportRange(b('g020'), b('g040'))];
    expect(chunks.length).toBeGreaterThan(1);
    let n = 0;
    for (const c of chunks) n += await to.importRange(c);
    expect(n).toBe(20);
    expect(to.scan('global')).toEqual(from.scan('global', { start: b('g020'), end: b('g040') }));
    expect(to.scan('local')).toEqual([]);
    expect(await from.deleteRange('global', b('g020'), b('g040'))).toBe(20);
    expect(from.scan('global')).toHaveLength(80);
    expect(from.scan('local')).toHaveLength(100);
    const bad = Buffer.from(chunks[0]!);
    bad[12]! ^= 1;
    await expect(to.importRange(bad)).rejects.toBeInstanceOf(CorruptionError);
    await from.close();
    await to.close();
  });
});

describe('LsmEngine table cache', () => {
  it('keeps tables an open iterator reads even past the open-table limit', async () => {
    const e = await LsmEngine.open(small(new MemoryFileSystem(), { tableCacheCapacity: 1, level0FileNumCompactionTrigger: 100, level0SlowdownWritesTrigger: 200, level0StopWritesTrigger: 300 }));
    for (let i = 0; i < 300; i++) await e.put('local', b(`k${String(i).padStart(3, '0')}`), b(`v${i}`));
    await e.flush();
    expect(e.stats().levels[0]!.files).toBeGreaterThan(3);
    const it = e.iterate('local');
    expect(it.next().value!.key.toString()).toBe('k000');
    // Point reads open other tables and push the cache past its limit of one.
    for (let i = 0; i < 300; i += 7) expect(str(e.get('local', b(`k${String(i).padStart(3, '0')}`)))).toBe(`v${i}`);
    expect([...it]).toHaveLength(299);
    await e.close();
  });
});

describe('LsmEngine block cache', () => {
  it.each([64 * 1024, 0])('serves the right bytes while read slabs are reused and hit blocks move to newer ones, also to paused iterators (cache %i bytes)', async (cacheBytes) => {
    // 4 KiB blocks, a small (or no) cache: thousands of misses go through many 1 MiB slabs, which are reused.
    const e = await LsmEngine.open({ fs: new MemoryFileSystem(), dir: '/db', blockCacheSizeBytes: cacheBytes, writeBufferSizeBytes: 1 << 20 });
    const key = (i: number) => b(`key${String(i).padStart(6, '0')}`);
    const val = (i: number) => Buffer.alloc(100, i % 251);
    const n = 20_000;
    for (let i = 0; i < n; i += 500) await e.write(Array.from({ length: 500 }, (_, j) => ({ keyspace: 'local' as const, key: key(i + j), value: val(i + j) })));
    await e.flush();
    const it = e.iterate('local', { start: key(100) });
    expect(it.next().value!.key).toEqual(key(100));
    // A second scan paused in the middle of a block, and one abandoned without return().
    const it2 = e.iterate('local', { start: key(5003) });
    expect(it2.next().value!.key).toEqual(key(5003));
    const abandoned = e.iterate('local', { start: key(9000) });
    expect(abandoned.next().value!.key).toEqual(key(9000));
    const gen0 = slabStats().gen;
    let x = 7;
    let wrong = 0;
    for (let round = 0; round < 40_000; round++) {
      // Mostly a small hot set (hits), sometimes anywhere (misses that fill new slabs).
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const i = round % 3 === 0 ? x % n : x % 64;
      if (!e.get('local', key(i))?.equals(val(i))) wrong++;
    }
    expect(wrong).toBe(0);
    let i = 101;
    for (const entry of it) {
      if (!entry.key.equals(key(i)) || !entry.value.equals(val(i))) wrong++;
      i++;
    }
    expect(wrong).toBe(0);
    expect(i).toBe(n);
    for (let j = 5004; j < 5200; j++) {
      const r = it2.next().value!;
      if (!r.key.equals(key(j)) || !r.value.equals(val(j))) wrong++;
    }
    it2.return();
    expect(wrong).toBe(0);
    // Many slabs went by, and emptied ones were handed out again.
    expect(slabStats().gen - gen0).toBeGreaterThan(20);
    expect(slabStats().free).toBeGreaterThan(0);
    if (cacheBytes > 0) expect(e.stats().blockCache.hits).toBeGreaterThan(10_000);
    await e.close();
  });
});

describe('LsmEngine.applyNow and whenWritable (a Raft state machine without a WAL)', () => {
  it('applies a batch to the memtable synchronously, records the Raft index, and recovers it from tables', async () => {
    const fs = new MemoryFileSystem();
    const e = await LsmEngine.open(small(fs, { wal: false }));
    e.applyNow([{ keyspace: 'local', key: b('a'), value: b('1') }, { keyspace: 'global', key: b('a'), value: b('2') }], 5);
    // Visible at once, no await in between.
    expect(str(e.get('local', b('a')))).toBe('1');
    expect(str(e.get('global', b('a')))).toBe('2');
    expect(e.appliedIndex).toBe(5);
    expect(e.durableAppliedIndex).toBe(0);
    e.applyNow([{ keyspace: 'local', key: b('a') }], 6);
    expect(e.get('local', b('a'))).toBeUndefined();
    expect(() => e.applyNow([], -1)).toThrow(InvalidArgumentError);
    // Many batches go through memtable switches and background flushes.
    for (let i = 0; i < 300; i++) e.applyNow([{ keyspace: 'local', key: b(`k${String(i).padStart(3, '0')}`), value: b(`v${i}`) }], 7 + i);
    await e.close();
    const again = await LsmEngine.open(small(fs, { wal: false }));
    expect(again.durableAppliedIndex).toBe(306);
    expect(again.scan('local')).toHaveLength(300);
    expect(str(again.get('global', b('a')))).toBe('2');
    await again.close();
  });

  it('whenWritable is null when writes may go, and waits out a stop (counted as a stall) until the flush is done', async () => {
    const clock = new ManualClock();
    const jobs = new GatedJobRunner();
    const e = await LsmEngine.open(small(new MemoryFileSystem(), { clock, jobs, wal: false, writeBufferSizeBytes: 300, maxWriteBufferNumber: 2 }));
    expect(e.whenWritable(100)).toBeNull();
    let i = 0;
    // applyNow ignores stalls: the caller asks first. Fill until the engine stops writes.
    while (e.stats().stall.condition !== 'stopped') e.applyNow([{ keyspace: 'local', key: b(`k${i++}`), value: Buffer.alloc(50) }], i);
    expect(e.stats().stall.cause).toBe('memtable-limit');
    let writable = false;
    const wait = e.whenWritable(100);
    expect(wait).not.toBeNull();
    void wait!.then(() => (writable = true));
    await flush();
    clock.advance(30);
    await flush();
    expect(writable).toBe(false);
    jobs.gated = false;
    jobs.releaseAll();
    await wait;
    expect(e.stats().stall).toMatchObject({ condition: 'normal', stoppedMs: 30 });
    expect(e.whenWritable(100)).toBeNull();
    // Background work runs on the manual clock's timers: let the rest of it finish before closing.
    while (e.stats().immutableMemtables > 0) {
      clock.advance(1);
      await flush();
    }
    await e.close();
  });
});
