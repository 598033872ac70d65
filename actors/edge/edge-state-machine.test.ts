import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeRequest, type KvCommand, type KvResult } from '../raft/kv/commands.js';
import type { Entry } from '../raft/types.js';
import type { EdgeCustomCommand, ExportPage, KeyCounts, OwnershipState } from './commands.js';
import type { PieceRow } from './ownership.js';
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

  /** A group that owns every ring id (the layout's first group after `genesis`). */
  const owner = (): EdgeStateMachine => {
    const sm = make();
    edge(sm, { name: 'genesis', args: {} });
    return sm;
  };
  const release = (sm: EdgeStateMachine, spans: ReturnType<typeof toHexSpans>, to: string): KvResult => edge(sm, { name: 'release', args: { spans, to } });
  const ownership = (sm: EdgeStateMachine): PieceRow[] => (value(sm.query({ name: 'ownership' })) as OwnershipState).pieces;
  /** Copies a released move's keys and sessions from `src` into `dst` and ends the import (what a migrator does). */
  const copy = (src: EdgeStateMachine, dst: EdgeStateMachine, spans: ReturnType<typeof toHexSpans>, epoch: number, to: string, maxBytes = 1 << 20): number => {
    let after: string | null = null;
    let pages = 0;
    do {
      const page = value(src.query({ name: 'export', spans, epoch, to, after, maxBytes })) as ExportPage;
      edge(dst, { name: 'importChunk', args: { epoch, entries: page.entries, sessions: [] } });
      after = page.next;
      pages++;
    } while (after !== null);
    const sessions = value(src.query({ name: 'exportSessions', offset: 0, count: 1000 })) as { sessions: never[] };
    edge(dst, { name: 'importChunk', args: { epoch, entries: [], sessions: sessions.sessions } });
    return pages;
  };

  it('a group refuses global keys it does not own (refusals are not recorded: the retry may apply later)', () => {
    const sm = make();
    expect(gput(sm, 'k', 'v1', 'client', 7)).toMatchObject({ ok: false, error: 'FENCED' });
    expect(gget(sm, 'k')).toMatchObject({ ok: false, error: 'FENCED' });
    expect(value(sm.query({ name: 'grange', start: '', end: '', limit: 0 }))).toEqual([]);
    // Local keys need no ownership.
    expect(apply(sm, { op: 'put', key: localKey(b('l')), value: b('x') })).toMatchObject({ ok: true });
    edge(sm, { name: 'genesis', args: {} });
    expect(value(gput(sm, 'k', 'v1', 'client', 7))).toBeNull();
    expect(Buffer.from(value(gget(sm, 'k')) as Uint8Array).toString()).toBe('v1');
    // Genesis is once: ids that were ever owned are not claimed again.
    release(sm, toHexSpans(around('k')), 'g2');
    edge(sm, { name: 'genesis', args: {} });
    expect(gget(sm, 'k')).toMatchObject({ ok: false, error: 'FENCED' });
  });

  it('a release stops serving at once and a second release of overlapping ids is refused, to anyone', () => {
    const sm = owner();
    gput(sm, 'k', 'v1');
    const spans = toHexSpans(around('k'));
    expect(value(release(sm, spans, 'g2'))).toBe(2);
    expect(gput(sm, 'k', 'v2', 'client', 8)).toMatchObject({ ok: false, error: 'FENCED' });
    expect(gget(sm, 'k')).toMatchObject({ ok: false, error: 'FENCED' });
    // Two gateways cannot both pull these ids out: another release (overlapping, to another group or the same) is refused.
    const wider = toHexSpans(ringSpans(ringId(b('k')) - 1000n, ringId(b('k')) + 1000n));
    expect(release(sm, wider, 'g3')).toMatchObject({ ok: false, error: 'FENCED' });
    expect(release(sm, spans, 'g2')).toMatchObject({ ok: false, error: 'FENCED' });
    // The rest of the ring is untouched, and the refused release changed nothing.
    expect(value(gput(sm, 'other', 'o'))).toBeNull();
    expect(ownership(sm).filter((p) => p[2] === 'outgoing')).toEqual([[...spans[0]!, 'outgoing', 2, 'g2']]);
    // Only the named target at that epoch can export them.
    expect(sm.query({ name: 'export', spans, epoch: 2, to: 'g3', after: null, maxBytes: 100 })).toMatchObject({ ok: false, error: 'FENCED' });
    expect(sm.query({ name: 'export', spans, epoch: 1, to: 'g2', after: null, maxBytes: 100 })).toMatchObject({ ok: false, error: 'FENCED' });
    expect((value(sm.query({ name: 'export', spans, epoch: 2, to: 'g2', after: null, maxBytes: 100 })) as ExportPage).entries.map(([k]) => userKeyOf(k))).toEqual(['k']);
  });

  it('moves a range: release, import with sessions, importEnd, then complete purges exactly the moved keys', () => {
    const src = owner();
    const dst = make();
    const keys = Array.from({ length: 40 }, (_, i) => `key${i}`);
    for (const [i, k] of keys.entries()) gput(src, k, `v${i}`, 'writer', i + 1);
    apply(src, { op: 'put', key: localKey(b('local')), value: b('stays') });
    // The upper half of the ring moves.
    const half = ringSize() / 2n;
    const spans = toHexSpans(ringSpans(half - 1n, ringSize() - 1n));
    const moving = keys.filter((k) => ringId(b(k)) >= half);
    expect(moving.length).toBeGreaterThan(5);
    const epoch = value(release(src, spans, 'g2')) as number;
    edge(dst, { name: 'importBegin', args: { spans, epoch, from: 'g1' } });
    // Not served on either side while the keys travel.
    expect(gget(dst, moving[0]!)).toMatchObject({ ok: false, error: 'FENCED' });
    expect(copy(src, dst, spans, epoch, 'g2', 40)).toBeGreaterThan(3);
    expect(value(edge(dst, { name: 'importEnd', args: { spans, epoch } }))).toBe(true);
    for (const [i, k] of keys.entries()) {
      const [from, other] = moving.includes(k) ? [dst, src] : [src, dst];
      expect(Buffer.from(value(gget(from, k)) as Uint8Array).toString()).toBe(`v${i}`);
      expect(gget(other, k)).toMatchObject({ ok: false, error: 'FENCED' });
    }
    // A write retried at the new owner after the move is answered from the moved session, not applied again.
    const i = keys.indexOf(moving[0]!);
    gput(dst, moving[0]!, 'second', 'writer', 1000);
    expect(value(gput(dst, moving[0]!, `v${i}`, 'writer', i + 1))).toBeNull();
    expect(Buffer.from(value(gget(dst, moving[0]!)) as Uint8Array).toString()).toBe('second');
    // Before `complete` the source keeps its frozen copy; `complete` with another epoch or target purges nothing.
    expect(value(src.query({ name: 'counts' })) as KeyCounts).toEqual({ local: 1, global: keys.length - moving.length, fenced: moving.length });
    expect(value(edge(src, { name: 'complete', args: { spans, epoch: epoch + 1, to: 'g2' } }))).toBe(0);
    expect(value(edge(src, { name: 'complete', args: { spans, epoch, to: 'g3' } }))).toBe(0);
    expect(value(edge(src, { name: 'complete', args: { spans, epoch, to: 'g2' } }))).toBe(moving.length);
    expect(value(src.query({ name: 'counts' })) as KeyCounts).toEqual({ local: 1, global: keys.length - moving.length, fenced: 0 });
    expect(value(dst.query({ name: 'counts' })) as KeyCounts).toEqual({ local: 0, global: moving.length, fenced: 0 });
  });

  it('two migrators finishing one move in any interleaving: a second importBegin drops nothing, late steps of an old move change nothing', () => {
    const src = owner();
    const dst = make();
    gput(src, 'k', 'v1');
    const spans = toHexSpans(around('k'));
    const epoch = value(release(src, spans, 'g2')) as number;
    // Migrator A begins and copies; migrator B (a retry, or another gateway) begins again before A ends.
    edge(dst, { name: 'importBegin', args: { spans, epoch, from: 'g1' } });
    copy(src, dst, spans, epoch, 'g2');
    edge(dst, { name: 'importBegin', args: { spans, epoch, from: 'g1' } });
    expect(value(edge(dst, { name: 'importEnd', args: { spans, epoch } }))).toBe(true);
    expect(Buffer.from(value(gget(dst, 'k')) as Uint8Array).toString()).toBe('v1');
    // B's copy and end come late: nothing changes, the new owner's writes stay.
    gput(dst, 'k', 'v2');
    copy(src, dst, spans, epoch, 'g2');
    expect(value(edge(dst, { name: 'importEnd', args: { spans, epoch } }))).toBe(true);
    expect(Buffer.from(value(gget(dst, 'k')) as Uint8Array).toString()).toBe('v2');
    edge(src, { name: 'complete', args: { spans, epoch, to: 'g2' } });
    // The ids move back (g2 → g1 at a newer epoch) while an old migrator still replays the first move.
    const back = value(release(dst, spans, 'g1')) as number;
    expect(back).toBe(epoch + 1);
    edge(src, { name: 'importBegin', args: { spans, epoch: back, from: 'g2' } });
    copy(dst, src, spans, back, 'g1');
    edge(src, { name: 'importEnd', args: { spans, epoch: back } });
    gput(src, 'k', 'v3');
    // Late steps of move `epoch` (g1 → g2) everywhere: refused or no-ops.
    edge(dst, { name: 'importBegin', args: { spans, epoch, from: 'g1' } });
    edge(dst, { name: 'importChunk', args: { epoch, entries: [[globalKey(b('k')), b('stale')]], sessions: [] } });
    expect(value(edge(dst, { name: 'importEnd', args: { spans, epoch } }))).toBe(true);
    expect(gget(dst, 'k')).toMatchObject({ ok: false, error: 'FENCED' });
    expect(value(edge(src, { name: 'complete', args: { spans, epoch, to: 'g2' } }))).toBe(0);
    expect(src.query({ name: 'export', spans, epoch, to: 'g2', after: null, maxBytes: 100 })).toMatchObject({ ok: false, error: 'FENCED' });
    expect(Buffer.from(value(gget(src, 'k')) as Uint8Array).toString()).toBe('v3');
    // g2 still holds its outgoing copy until its own `complete`; it is never served.
    expect(value(edge(dst, { name: 'complete', args: { spans, epoch: back, to: 'g1' } }))).toBe(1);
    expect(value(dst.query({ name: 'counts' })) as KeyCounts).toEqual({ local: 0, global: 0, fenced: 0 });
  });

  it('an import drops what the target held for the ids (no stale leftovers come back) and never touches ids it owns', () => {
    const a = owner();
    const b2 = make();
    gput(a, 'k', 'old');
    const spans = toHexSpans(around('k'));
    // k moves a → b2, and b2 → a again before a purged its copy.
    const e1 = value(release(a, spans, 'g2')) as number;
    edge(b2, { name: 'importBegin', args: { spans, epoch: e1, from: 'g1' } });
    copy(a, b2, spans, e1, 'g2');
    edge(b2, { name: 'importEnd', args: { spans, epoch: e1 } });
    edge(b2, { name: 'gdelete', args: { key: globalKey(b('k')) } });
    const e2 = value(release(b2, spans, 'g1')) as number;
    edge(a, { name: 'importBegin', args: { spans, epoch: e2, from: 'g2' } });
    copy(b2, a, spans, e2, 'g1');
    edge(a, { name: 'importEnd', args: { spans, epoch: e2 } });
    // The delete made at b2 holds: a's leftover 'old' was dropped by the import.
    expect(value(gget(a, 'k'))).toBeNull();
    // An import into ids this group owns is refused (it would mean two owners), and drops nothing.
    gput(a, 'k', 'mine');
    expect(edge(a, { name: 'importBegin', args: { spans, epoch: e2 + 5, from: 'g3' } })).toMatchObject({ ok: false, error: 'BAD_COMMAND' });
    expect(Buffer.from(value(gget(a, 'k')) as Uint8Array).toString()).toBe('mine');
  });

  it('ownership travels in snapshots', () => {
    const sm = owner();
    gput(sm, 'k', 'v');
    release(sm, toHexSpans(around('k')), 'g2');
    const copy2 = make();
    copy2.restore(sm.snapshot());
    expect(gget(copy2, 'k')).toMatchObject({ ok: false, error: 'FENCED' });
    expect(ownership(copy2)).toEqual(ownership(sm));
    expect(ownership(copy2).length).toBeGreaterThan(1);
  });

  it('global range queries filter by user key and skip ids not owned', () => {
    const sm = owner();
    for (const k of ['a', 'b', 'c', 'd']) gput(sm, k, k.toUpperCase());
    release(sm, toHexSpans(around('c')), 'g2');
    const got = value(sm.query({ name: 'grange', start: 'a', end: 'd', limit: 0 })) as [string, Uint8Array][];
    expect(got.map(([k]) => userKeyOf(k))).toEqual(['a', 'b']);
    expect(value(edge(sm, { name: 'gdeleteRange', args: { start: 'b', end: '' } }))).toBe(2);
  });
});
