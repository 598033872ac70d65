import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { LogUnavailableError } from '../../actors/raft/errors.js';
import type { Entry } from '../../actors/raft/types.js';
import { CorruptionError } from '../../runtime/errors.js';
import { encodeEntry, encodeWalRecord } from './codec.js';
import { ent } from './conformance.js';
import { LmdbLogStore, RAFT_LOG_DEFAULTS, type LmdbLogStoreOptions } from './lmdb.js';

const dirs: string[] = [];
const stores: LmdbLogStore[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'raft-wal-'));
  dirs.push(d);
  return d;
}

function openStore(path: string, options: Omit<LmdbLogStoreOptions, 'path'> = {}): LmdbLogStore {
  const s = LmdbLogStore.open({ path, ...options });
  stores.push(s);
  return s;
}

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function segments(path: string): { name: string; size: number }[] {
  return readdirSync(join(path, 'wal'))
    .sort()
    .map((name) => ({ name, size: statSync(join(path, 'wal', name)).size }));
}

/**
 * The files as a power cut would leave them, taken while nothing is being
 * written (after `settled()`): lmdb's last commit is flushed by then, and the
 * WAL holds exactly the acknowledged records. The lock file is not copied.
 * `walFrom` takes the WAL from an earlier copy (a crash between two steps).
 */
function crashCopy(path: string, walFrom?: string): string {
  const copy = tempDir();
  copyFileSync(join(path, 'data.mdb'), join(copy, 'data.mdb'));
  const walSrc = join(walFrom ?? path, 'wal');
  mkdirSync(join(copy, 'wal'));
  for (const name of readdirSync(walSrc)) copyFileSync(join(walSrc, name), join(copy, 'wal', name));
  return copy;
}

function walCopy(path: string): string {
  const copy = tempDir();
  mkdirSync(join(copy, 'wal'));
  for (const name of readdirSync(join(path, 'wal'))) copyFileSync(join(path, 'wal', name), join(copy, 'wal', name));
  return copy;
}

/** lmdb's own view: the entries sub-database and the environment's last transaction id. */
async function lmdbView(path: string): Promise<{ keys: number[]; txn: number }> {
  const env = open({ path, readOnly: true });
  try {
    const db = env.openDB<Buffer, number>({ name: 'entries', encoding: 'binary' });
    const keys = [...db.getKeys({})];
    const txn = (env.getStats() as { lastTxnId: number }).lastTxnId;
    return { keys, txn };
  } finally {
    await env.close();
  }
}

const texts = (es: Entry[]): string[] => es.map((e) => `${e.index}@${e.term}:${Buffer.from(e.data).toString()}`);
const range = (lo: number, hi: number, term: number, tag = ''): Entry[] =>
  Array.from({ length: hi - lo + 1 }, (_, i) => ent(lo + i, term, `${tag}e${lo + i}`));

function logOf(s: LmdbLogStore): string[] {
  return texts(s.entries(s.firstIndex(), s.lastIndex() + 1, Infinity));
}

describe('LmdbLogStore WAL', () => {
  it('a save is one WAL record and no lmdb write until a checkpoint', async () => {
    const path = tempDir();
    const store = openStore(path);
    await store.save({ entries: range(1, 500, 1), hardState: { term: 1, vote: 1, commit: 0 } });
    const before = segments(path);
    expect(before).toHaveLength(1);
    const lmdbBefore = await lmdbView(path);
    const batch = range(501, 800, 1);
    const hs = { term: 1, vote: 1, commit: 400 };
    await store.save({ entries: batch, hardState: hs });
    const after = segments(path);
    expect(after).toHaveLength(1);
    expect(after[0]!.size - before[0]!.size).toBe(encodeWalRecord(2, hs, batch).length);
    const lmdbAfter = await lmdbView(path);
    expect(lmdbAfter.txn).toBe(lmdbBefore.txn);
    expect(lmdbAfter.keys).toEqual([]);
    expect(store.lastIndex()).toBe(800);
    expect(store.term(800)).toBe(1);

    await store.checkpoint();
    expect(store.checkpointCount).toBe(1);
    const lmdbCp = await lmdbView(path);
    // One transaction per chunk of entries.
    expect(lmdbCp.txn - lmdbAfter.txn).toBe(Math.ceil(800 / RAFT_LOG_DEFAULTS.checkpointChunkEntries));
    expect(lmdbCp.keys).toHaveLength(800);
    expect(store.entries(1, 801, Infinity)).toHaveLength(800);
  });

  it('a checkpoint starts by itself past its threshold, moves the tail into lmdb and deletes old segments', async () => {
    const path = tempDir();
    const store = openStore(path, { checkpointBytes: 2000, checkpointChunkEntries: 3 });
    for (let i = 1; i <= 60; i++) await store.save({ entries: [ent(i, 1, 'x'.repeat(100))], hardState: { term: 1, vote: 1, commit: i - 1 } });
    await store.settled();
    expect(store.checkpointCount).toBeGreaterThanOrEqual(3);
    const segs = segments(path);
    // Only the segments since the last checkpoint's rotation remain.
    expect(segs.length).toBeLessThanOrEqual(2);
    expect(segs[0]!.name).not.toBe('wal-0000000000000001.log');
    const { keys } = await lmdbView(path);
    expect(keys.length).toBeGreaterThan(40);
    expect(store.entries(1, 61, Infinity)).toHaveLength(60);
    const again = openStore(crashCopy(path));
    expect(again.lastIndex()).toBe(60);
    expect(again.initialState().hardState.commit).toBe(59);
    expect(logOf(again)).toEqual(logOf(store));
  });

  it('reopens after saves with no checkpoint by replaying the WAL', async () => {
    const path = tempDir();
    const store = openStore(path);
    await store.save({ entries: range(1, 3, 1), hardState: { term: 1, vote: 2, commit: 0 } });
    await store.save({ entries: range(4, 6, 2), hardState: { term: 2, vote: 2, commit: 3 } });
    await store.save({ entries: [], hardState: { term: 2, vote: 2, commit: 5 } });
    await store.save({ entries: range(5, 7, 3, 'n'), sync: false });
    await store.save({ entries: [ent(8, 3)] });
    expect((await lmdbView(path)).keys).toEqual([]);
    const copy = crashCopy(path);
    const again = openStore(copy);
    expect(again.initialState().hardState).toEqual({ term: 2, vote: 2, commit: 5 });
    expect(again.lastIndex()).toBe(8);
    expect(logOf(again)).toEqual(['1@1:e1', '2@1:e2', '3@1:e3', '4@2:e4', '5@3:ne5', '6@3:ne6', '7@3:ne7', '8@3:e8']);
    // The reopened store keeps appending after the replayed records, and a clean close leaves it all in lmdb.
    await again.save({ entries: [ent(9, 3)] });
    await again.close();
    expect((await lmdbView(copy)).keys).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const third = openStore(copy);
    expect(third.lastIndex()).toBe(9);
    expect(logOf(third)).toEqual([...logOf(store), '9@3:e9']);
  });

  it('truncations across a checkpoint boundary: lmdb entries beyond the last index are never served', async () => {
    const path = tempDir();
    const store = openStore(path);
    await store.save({ entries: range(1, 10, 1) });
    await store.checkpoint();
    // lmdb holds 1..10; the truncation lives in the tail and the WAL only.
    await store.save({ entries: range(5, 6, 2, 't') });
    const expected = ['1@1:e1', '2@1:e2', '3@1:e3', '4@1:e4', '5@2:te5', '6@2:te6'];
    expect((await lmdbView(path)).keys).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const s of [store, openStore(crashCopy(path))]) {
      expect(s.lastIndex()).toBe(6);
      expect(() => s.term(7)).toThrow(LogUnavailableError);
      expect(() => s.entries(5, 8, Infinity)).toThrow(LogUnavailableError);
      expect(s.term(5)).toBe(2);
      expect(logOf(s)).toEqual(expected);
    }
    // Appending after the truncation must not resurrect the stale lmdb entries around it.
    await store.save({ entries: [ent(7, 2, 'te7')] });
    expect(logOf(store)).toEqual([...expected, '7@2:te7']);
    await store.checkpoint();
    expect((await lmdbView(path)).keys).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(logOf(openStore(crashCopy(path)))).toEqual([...expected, '7@2:te7']);
  });

  it('a truncation while a checkpoint is in flight keeps the replacing entries', async () => {
    const path = tempDir();
    // Each checkpoint, once in lmdb, waits for the test before dropping what it covers.
    let release: () => void = () => undefined;
    let gate = Promise.resolve();
    const close = (): void => {
      gate = new Promise((r) => (release = r));
    };
    const store = openStore(path, { checkpointBytes: 300, beforeCheckpointDrop: () => gate });
    await store.save({ entries: range(1, 4, 1) });
    await store.checkpoint();
    close();
    // This save passes the threshold: its checkpoint captures the tail 5..20.
    await store.save({ entries: range(5, 20, 1) });
    await store.save({ entries: range(12, 14, 2, 'a') });
    release();
    await store.settled();
    expect(store.checkpointCount).toBe(2);
    const first = texts([...range(1, 11, 1), ...range(12, 14, 2, 'a')]);
    expect(logOf(store)).toEqual(first);
    expect(logOf(openStore(crashCopy(path)))).toEqual(first);
    await store.checkpoint();
    expect(logOf(store)).toEqual(first);
    expect((await lmdbView(path)).keys).toHaveLength(14);

    // Again, with a truncation below the captured tail.
    close();
    await store.save({ entries: range(15, 30, 2) });
    await store.save({ entries: range(3, 6, 3, 'b') });
    release();
    await store.settled();
    expect(store.checkpointCount).toBe(4);
    const expected = ['1@1:e1', '2@1:e2', '3@3:be3', '4@3:be4', '5@3:be5', '6@3:be6'];
    expect(logOf(store)).toEqual(expected);
    expect(logOf(openStore(crashCopy(path)))).toEqual(expected);
    await store.checkpoint();
    expect(logOf(store)).toEqual(expected);
    expect((await lmdbView(path)).keys).toEqual([1, 2, 3, 4, 5, 6]);
    expect(logOf(openStore(crashCopy(path)))).toEqual(expected);
  });

  it('a crash after a checkpoint reached lmdb but before its segments were deleted replays only what is newer', async () => {
    const path = tempDir();
    const store = openStore(path);
    await store.save({ entries: range(1, 5, 1) });
    await store.save({ entries: range(3, 4, 2, 'x') });
    const oldWal = walCopy(path);
    await store.checkpoint();
    await store.save({ entries: [ent(5, 2)] });
    await store.checkpoint();
    // lmdb holds everything; the WAL is the one from before both checkpoints.
    const again = openStore(crashCopy(path, oldWal));
    expect(logOf(again)).toEqual(['1@1:e1', '2@1:e2', '3@2:xe3', '4@2:xe4', '5@2:e5']);
  });

  it('entries a checkpoint wrote in an earlier chunk before a crash are shadowed by the replayed tail', async () => {
    const path = tempDir();
    const store = openStore(path);
    await store.save({ entries: range(1, 10, 1) });
    await store.checkpoint();
    await store.save({ entries: range(5, 6, 2, 't') });
    await store.save({ entries: range(7, 8, 2, 't') });
    await store.settled();
    const copy = crashCopy(path);
    // What a first chunk of the next checkpoint leaves in lmdb without the WAL
    // position (written here with other terms, to tell them apart).
    const env = open({ path: copy });
    const db = env.openDB<Buffer, number>({ name: 'entries', encoding: 'binary' });
    await env.transaction(() => {
      for (const i of [5, 6, 7, 8]) db.putSync(i, encodeEntry(ent(i, 9, 'chunk')));
    });
    await env.close();
    const again = openStore(copy);
    expect(again.lastIndex()).toBe(8);
    expect(logOf(again)).toEqual(['1@1:e1', '2@1:e2', '3@1:e3', '4@1:e4', '5@2:te5', '6@2:te6', '7@2:te7', '8@2:te8']);
    await again.checkpoint();
    expect(logOf(openStore(crashCopy(copy)))).toEqual(logOf(again));
  });

  it('drops a torn final record and opens with everything before it', async () => {
    const path = tempDir();
    const store = openStore(path);
    await store.save({ entries: range(1, 2, 1) });
    await store.save({ entries: [ent(3, 1, 'y'.repeat(200))], hardState: { term: 1, vote: 1, commit: 2 } });
    const copy = crashCopy(path);
    const [seg] = segments(copy);
    const file = join(copy, 'wal', seg!.name);
    truncateSync(file, seg!.size - 50);
    const again = openStore(copy);
    expect(again.lastIndex()).toBe(2);
    expect(again.initialState().hardState).toEqual({ term: 0, vote: 0, commit: 0 });
    expect(logOf(again)).toEqual(['1@1:e1', '2@1:e2']);
    // The torn bytes are gone from the file, so new records follow intact ones.
    await again.save({ entries: [ent(3, 2)] });
    await again.save({ entries: [ent(4, 2)] });
    const third = openStore(crashCopy(copy));
    expect(logOf(third)).toEqual(['1@1:e1', '2@1:e2', '3@2:e3', '4@2:e4']);
  });

  it('treats zeroed space after the last record as torn', async () => {
    const path = tempDir();
    const store = openStore(path);
    await store.save({ entries: range(1, 3, 1) });
    const copy = crashCopy(path);
    const [seg] = segments(copy);
    appendFileSync(join(copy, 'wal', seg!.name), Buffer.alloc(4096));
    expect(logOf(openStore(copy))).toEqual(['1@1:e1', '2@1:e2', '3@1:e3']);
  });

  it('a last record partly written (a sector of it zeroes) is torn; one whose bytes are there and wrong is corruption', async () => {
    const path = tempDir();
    const store = openStore(path);
    await store.save({ entries: [ent(1, 1)] });
    await store.save({ entries: [ent(2, 1, 'z'.repeat(2000))] });
    const copy = crashCopy(path);
    const [seg] = segments(copy);
    const file = join(copy, 'wal', seg!.name);
    const bytes = readFileSync(file);
    const at = bytes.indexOf(Buffer.from('z'.repeat(2000)));
    // The sectors after the first kilobyte of the entry never reached the disk.
    const torn = Buffer.from(bytes);
    torn.fill(0, at + 1024);
    writeFileSync(file, torn);
    expect(logOf(openStore(copy))).toEqual(['1@1:e1']);
    // The same record with one flipped bit, everything written: reported, not dropped.
    const copy2 = crashCopy(path);
    const file2 = join(copy2, 'wal', seg!.name);
    const flipped = Buffer.from(bytes);
    flipped[at + 1500]! ^= 0x01;
    writeFileSync(file2, flipped);
    expect(() => openStore(copy2)).toThrow(CorruptionError);
  });

  it('a flipped byte inside a record that is not the last raises CorruptionError', async () => {
    const path = tempDir();
    const store = openStore(path);
    await store.save({ entries: [ent(1, 1, 'hello')] });
    await store.save({ entries: [ent(2, 1, 'world')] });
    const copy = crashCopy(path);
    const [seg] = segments(copy);
    const file = join(copy, 'wal', seg!.name);
    const bytes = readFileSync(file);
    const at = bytes.indexOf(Buffer.from('hello'));
    bytes[at]! ^= 0x01;
    writeFileSync(file, bytes);
    expect(() => openStore(copy)).toThrow(CorruptionError);
    expect(() => openStore(copy)).toThrow(new RegExp(`${seg!.name} at offset 0`));
  });

  it('a record out of sequence raises CorruptionError', async () => {
    const path = tempDir();
    const store = openStore(path);
    await store.save({ entries: [ent(1, 1)] });
    const copy = crashCopy(path);
    const [seg] = segments(copy);
    appendFileSync(join(copy, 'wal', seg!.name), encodeWalRecord(3, undefined, [ent(2, 1)]));
    expect(() => openStore(copy)).toThrow(CorruptionError);
  });

  it('a batch rejected for a gap writes nothing', async () => {
    const path = tempDir();
    const store = openStore(path);
    await store.save({ entries: [ent(1, 1)] });
    const before = segments(path);
    const lmdbBefore = await lmdbView(path);
    await expect(store.save({ entries: [ent(3, 1)], hardState: { term: 5, vote: 1, commit: 0 } })).rejects.toThrow(/gap/);
    expect(segments(path)).toEqual(before);
    expect((await lmdbView(path)).txn).toBe(lmdbBefore.txn);
    expect(store.initialState().hardState.term).toBe(0);
    await store.save({ entries: [ent(2, 1)] });
    expect(logOf(openStore(crashCopy(path)))).toEqual(['1@1:e1', '2@1:e2']);
  });

  it('installs a received snapshot over a non-empty tail and while a checkpoint is in flight', async () => {
    const path = tempDir();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const store = openStore(path, { beforeCheckpointDrop: () => gate });
    await store.save({ entries: range(1, 4, 1), hardState: { term: 1, vote: 1, commit: 2 } });
    await store.save({ entries: range(5, 8, 1), hardState: { term: 2, vote: 1, commit: 6 } });
    const cp = store.checkpoint();
    await store.save({ entries: range(9, 9, 2) });
    // The checkpoint is held in flight; the tail holds 9 (5..8 are captured).
    const snap = { meta: { index: 20, term: 3, confState: { voters: [1, 2, 3], learners: [] } }, data: new Uint8Array([7]) };
    const install = store.save({ snapshot: snap, entries: [ent(20, 3), ent(21, 3)] });
    const after = store.save({ entries: [ent(22, 3)] });
    release();
    await Promise.all([cp, install, after]);
    for (const s of [store, openStore(crashCopy(path))]) {
      expect(s.firstIndex()).toBe(21);
      expect(s.lastIndex()).toBe(22);
      expect(s.term(20)).toBe(3);
      expect(s.initialState().hardState).toEqual({ term: 2, vote: 1, commit: 6 });
      expect(s.snapshot().meta.index).toBe(20);
      expect(logOf(s)).toEqual(['21@3:e21', '22@3:e22']);
    }
  });

  it('installs a received snapshot over a non-empty tail with no checkpoint', async () => {
    const path = tempDir();
    const store = openStore(path);
    await store.save({ entries: range(1, 8, 1), hardState: { term: 1, vote: 1, commit: 2 } });
    const snap = { meta: { index: 5, term: 1, confState: { voters: [1], learners: [] } }, data: new Uint8Array([7]) };
    await store.save({ snapshot: snap, entries: [ent(6, 2)], hardState: { term: 2, vote: 0, commit: 5 } });
    for (const s of [store, openStore(crashCopy(path))]) {
      expect(s.firstIndex()).toBe(6);
      expect(s.lastIndex()).toBe(6);
      expect(s.initialState().hardState).toEqual({ term: 2, vote: 0, commit: 5 });
      expect(logOf(s)).toEqual(['6@2:e6']);
    }
  });

  it('compacts with a non-empty tail and while a checkpoint is in flight', async () => {
    const path = tempDir();
    let release: () => void = () => undefined;
    let gate = Promise.resolve();
    const store = openStore(path, { beforeCheckpointDrop: () => gate });
    await store.save({ entries: range(1, 10, 1) });
    await store.checkpoint();
    gate = new Promise<void>((r) => (release = r));
    // A truncation whose record, replayed after the compaction, would be filtered away entirely.
    await store.save({ entries: range(5, 6, 2, 't'), hardState: { term: 2, vote: 1, commit: 6 } });
    const cp = store.checkpoint();
    await store.save({ entries: range(7, 7, 2, 't') });
    const compaction = store.createSnapshot(7, { voters: [1], learners: [] }, new Uint8Array([1]), 0);
    const after = store.save({ entries: range(8, 9, 2, 't') });
    release();
    await Promise.all([cp, compaction, after]);
    const expected = ['8@2:te8', '9@2:te9'];
    for (const s of [store, openStore(crashCopy(path))]) {
      expect(s.firstIndex()).toBe(8);
      expect(s.lastIndex()).toBe(9);
      expect(s.term(7)).toBe(2);
      expect(logOf(s)).toEqual(expected);
      expect(s.initialState().hardState.commit).toBe(6);
    }
    await store.settled();
    const clean = crashCopy(path);
    await store.close();
    expect(logOf(openStore(clean))).toEqual(expected);
    expect(logOf(openStore(path))).toEqual(expected);
  });

  it('compaction replaces a truncated suffix for good, even when the truncating record is below the new first index', async () => {
    const path = tempDir();
    const store = openStore(path);
    await store.save({ entries: range(1, 20, 1) });
    await store.checkpoint();
    // The truncation's record is written after createSnapshot's preparatory
    // checkpoint looked (it found nothing to do), so only the compaction itself covers it.
    const compaction = store.createSnapshot(6, { voters: [1], learners: [] }, new Uint8Array(), 0);
    const truncation = store.save({ entries: range(5, 6, 2, 't') });
    await Promise.all([truncation, compaction]);
    for (const s of [store, openStore(crashCopy(path))]) {
      expect(s.firstIndex()).toBe(7);
      expect(s.lastIndex()).toBe(6);
      expect(s.term(6)).toBe(2);
    }
  });
});
