import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeRequest, type KvCommand, type KvResult } from '../raft/kv/commands.js';
import type { Entry } from '../raft/types.js';
import type { EdgeCustomCommand, ExportPage, KeyCounts } from './commands.js';
import { EdgeStateMachine, toHexSpans } from './edge-state-machine.js';
import { globalKey, localKey, ringSpans, subtractSpans, normalizeSpans, userKeyOf, ringIdOf } from './keyspace.js';
import { ringId, ringSize } from '../gateway/ring-id.js';
import { LsmEngine } from '../../storage/engine.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';
import { LsmKvStore } from './lsm-store.js';

const b = (s: string): Buffer => Buffer.from(s);
let index = 1;
const apply = (sm: EdgeStateMachine, command: KvCommand, clientId: string | number = 'c', requestId = index): KvResult => {
  const e: Entry = { term: 1, index: index++, type: 'normal', data: encodeRequest({ clientId, requestId, firstUnacked: 0, command }) };
  return sm.apply(e).result;
};
const edge = (sm: EdgeStateMachine, c: EdgeCustomCommand, clientId: string = 'admin'): KvResult =>
  apply(sm, { op: 'custom', name: c.name, args: c.args }, clientId);
const gput = (sm: EdgeStateMachine, key: string, value: string, clientId = 'w', requestId = index): KvResult =>
  apply(sm, { op: 'custom', name: 'gput', args: { key: globalKey(b(key)), value: b(value) } }, clientId, requestId);
const gget = (sm: EdgeStateMachine, key: string): KvResult => sm.query({ name: 'gget', key: globalKey(b(key)) });
const value = (r: KvResult): unknown => (r.ok && r.op === 'custom' ? r.value : r);

/** The ring interval (from, to] that holds exactly `key`'s id. */
const around = (key: string) => {
  const id = ringId(b(key));
  return ringSpans((id - 1n + ringSize()) % ringSize(), id);
};

describe('keyspace', () => {
  it('keeps local and global keys apart, and global keys in ring order', () => {
    expect(localKey(b('x'))).toBe('L:x');
    const g = globalKey(b('x'));
    expect(g.startsWith('G:')).toBe(true);
    expect(userKeyOf(g)).toBe('x');
    expect(ringIdOf(g)).toBe(ringId(b('x')));
    // Binary keys survive (latin1), including bytes >= 0x80.
    const bin = Buffer.from([0, 0xff, 0x80, 1]);
    expect(Buffer.from(userKeyOf(globalKey(bin)), 'latin1').equals(bin)).toBe(true);
  });

  it('splits a wrapping ring interval into linear spans and subtracts spans', () => {
    const max = ringSize() - 1n;
    expect(ringSpans(10n, 20n)).toEqual([{ lo: 11n, hi: 20n }]);
    expect(ringSpans(20n, 10n)).toEqual([{ lo: 0n, hi: 10n }, { lo: 21n, hi: max }]);
    expect(ringSpans(5n, 5n)).toEqual([{ lo: 0n, hi: max }]);
    expect(subtractSpans([{ lo: 0n, hi: 100n }], [{ lo: 10n, hi: 20n }])).toEqual([{ lo: 0n, hi: 9n }, { lo: 21n, hi: 100n }]);
    expect(normalizeSpans([{ lo: 5n, hi: 9n }, { lo: 0n, hi: 4n }])).toEqual([{ lo: 0n, hi: 9n }]);
  });
});

/** Engines with a tiny memtable (flushes and tables early), no WAL (the Raft log is the WAL). */
const openEngines = (n: number): Promise<LsmEngine[]> => {
  const fs = new MemoryFileSystem();
  return Promise.all(Array.from({ length: n }, (_, i) => LsmEngine.open({ fs, dir: `/lsm${i}`, wal: false, writeBufferSizeBytes: 1024 })));
};

// The same behaviour over the in-memory map (the simulator) and over the LSM engine (a real edge node).
describe.each(['map', 'lsm'] as const)('EdgeStateMachine over the %s store', (kind) => {
  let make: () => EdgeStateMachine;
  const engines: LsmEngine[] = [];
  beforeEach(async () => {
    if (kind === 'map') {
      make = () => new EdgeStateMachine();
      return;
    }
    const opened = await openEngines(3);
    engines.push(...opened);
    let next = 0;
    make = () => new EdgeStateMachine(new LsmKvStore(opened[next++]!));
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close();
  });

  it('a fenced range refuses writes and reads, and a refused write is not recorded (its retry may apply later)', () => {
    const sm = make();
    expect(value(gput(sm, 'k', 'v1'))).toBeNull();
    expect(value(edge(sm, { name: 'fence', args: { spans: toHexSpans(around('k')) } }))).toBeNull();
    const refused = gput(sm, 'k', 'v2', 'client', 7);
    expect(refused).toMatchObject({ ok: false, error: 'FENCED' });
    expect(gget(sm, 'k')).toMatchObject({ ok: false, error: 'FENCED' });
    // Another key outside the range is untouched.
    expect(value(gput(sm, 'other', 'o'))).toBeNull();
    expect(Buffer.from(value(gget(sm, 'other')) as Uint8Array).toString()).toBe('o');
    // The range comes back (an import): the same request id now applies.
    edge(sm, { name: 'importBegin', args: { spans: toHexSpans(around('k')) } });
    edge(sm, { name: 'importEnd', args: { spans: toHexSpans(around('k')) } });
    expect(value(gput(sm, 'k', 'v2', 'client', 7))).toBeNull();
    expect(Buffer.from(value(gget(sm, 'k')) as Uint8Array).toString()).toBe('v2');
  });

  it('moves a range: export from a fenced source, import with sessions, purge only what was marked moved', () => {
    const src = make();
    const dst = make();
    const keys = Array.from({ length: 40 }, (_, i) => `key${i}`);
    for (const [i, k] of keys.entries()) gput(src, k, `v${i}`, 'writer', i + 1);
    apply(src, { op: 'put', key: localKey(b('local')), value: b('stays') });
    // The upper half of the ring moves.
    const half = ringSize() / 2n;
    const spans = toHexSpans(ringSpans(half - 1n, ringSize() - 1n));
    const moving = keys.filter((k) => ringId(b(k)) >= half);
    expect(moving.length).toBeGreaterThan(5);
    // Export refuses an unfenced range.
    expect(src.query({ name: 'export', spans, after: null, maxBytes: 100 })).toMatchObject({ ok: false });
    edge(src, { name: 'fence', args: { spans } });
    edge(dst, { name: 'importBegin', args: { spans } });
    let after: string | null = null;
    let pages = 0;
    do {
      const page = value(src.query({ name: 'export', spans, after, maxBytes: 40 })) as ExportPage;
      edge(dst, { name: 'importChunk', args: { entries: page.entries, sessions: [] } });
      after = page.next;
      pages++;
    } while (after !== null);
    expect(pages).toBeGreaterThan(3);
    const sessions = value(src.query({ name: 'exportSessions', offset: 0, count: 1000 })) as { sessions: never[] };
    edge(dst, { name: 'importChunk', args: { entries: [], sessions: sessions.sessions } });
    edge(dst, { name: 'importEnd', args: { spans } });
    edge(src, { name: 'markMoved', args: { spans } });
    for (const [i, k] of keys.entries()) {
      const [from, other] = moving.includes(k) ? [dst, src] : [src, dst];
      expect(Buffer.from(value(gget(from, k)) as Uint8Array).toString()).toBe(`v${i}`);
      expect(gget(other, k)).toMatchObject(moving.includes(k) ? { ok: false, error: 'FENCED' } : { ok: true, value: null });
    }
    // A write retried at the new owner after the move is answered from the moved session, not applied again.
    const i = keys.indexOf(moving[0]!);
    gput(dst, moving[0]!, 'second', 'writer', 1000);
    expect(value(gput(dst, moving[0]!, `v${i}`, 'writer', i + 1))).toBeNull();
    expect(Buffer.from(value(gget(dst, moving[0]!)) as Uint8Array).toString()).toBe('second');
    // Purge deletes exactly the moved keys; local keys and the rest stay.
    expect(value(edge(src, { name: 'purge', args: {} }))).toBe(moving.length);
    expect(value(src.query({ name: 'counts' })) as KeyCounts).toEqual({ local: 1, global: keys.length - moving.length, fenced: 0 });
    expect(value(dst.query({ name: 'counts' })) as KeyCounts).toEqual({ local: 0, global: moving.length, fenced: 0 });
  });

  it('an import replaces what the destination held for the range (no stale leftovers come back)', () => {
    const dst = make();
    gput(dst, 'k', 'stale');
    const spans = toHexSpans(around('k'));
    // The range left this group earlier: fenced, copied out, its keys not purged yet.
    edge(dst, { name: 'fence', args: { spans } });
    edge(dst, { name: 'markMoved', args: { spans } });
    edge(dst, { name: 'importBegin', args: { spans } });
    edge(dst, { name: 'importEnd', args: { spans } });
    expect(value(gget(dst, 'k'))).toBeNull();
    // A chunk arriving after the end (a duplicate) changes nothing.
    edge(dst, { name: 'importChunk', args: { entries: [[globalKey(b('k')), b('late')]], sessions: [] } });
    expect(value(gget(dst, 'k'))).toBeNull();
  });

  it('an import keeps the keys the destination owns (unfenced) and takes the newer copies of the source', () => {
    // A cluster restarted from its data re-forms the ring by joins: the joining
    // gateway's group imports its own range from an interim owner that holds
    // nothing (or only what was written in between), and must keep its data.
    const dst = make();
    gput(dst, 'k', 'mine');
    gput(dst, 'j', 'old');
    const spans = toHexSpans([...around('k'), ...around('j')]);
    edge(dst, { name: 'importBegin', args: { spans } });
    edge(dst, { name: 'importChunk', args: { entries: [[globalKey(b('j')), b('newer')]], sessions: [] } });
    edge(dst, { name: 'importEnd', args: { spans } });
    expect(Buffer.from(value(gget(dst, 'k')) as Uint8Array).toString()).toBe('mine');
    expect(Buffer.from(value(gget(dst, 'j')) as Uint8Array).toString()).toBe('newer');
  });

  it('fences travel in snapshots', () => {
    const sm = make();
    gput(sm, 'k', 'v');
    edge(sm, { name: 'fence', args: { spans: toHexSpans(around('k')) } });
    const copy = make();
    copy.restore(sm.snapshot());
    expect(gget(copy, 'k')).toMatchObject({ ok: false, error: 'FENCED' });
    expect(value(copy.query({ name: 'fences' }))).toEqual(value(sm.query({ name: 'fences' })));
  });

  it('global range queries filter by user key and skip fenced keys', () => {
    const sm = make();
    for (const k of ['a', 'b', 'c', 'd']) gput(sm, k, k.toUpperCase());
    edge(sm, { name: 'fence', args: { spans: toHexSpans(around('c')) } });
    const got = value(sm.query({ name: 'grange', start: 'a', end: 'd', limit: 0 })) as [string, Uint8Array][];
    expect(got.map(([k]) => userKeyOf(k))).toEqual(['a', 'b']);
    expect(value(edge(sm, { name: 'gdeleteRange', args: { start: 'b', end: '' } }))).toBe(2);
  });
});
