import { describe, expect, it } from 'vitest';
import { TestCluster } from '../testing/cluster.js';
import type { Entry } from '../types.js';
import { encodeRequest, type KvCommand, type KvRequest } from './commands.js';
import { compareKeys, KvStateMachine } from './kv-state-machine.js';
import { SessionTable } from './sessions.js';

const v = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
let nextIndex = 1;
const entry = (r: KvRequest): Entry => ({ term: 1, index: nextIndex++, type: 'normal', data: encodeRequest(r) });
const req = (clientId: number | string, requestId: number, command: KvCommand, firstUnacked = 0): KvRequest => ({
  clientId,
  requestId,
  firstUnacked,
  command,
});

function registered(sm: KvStateMachine): number {
  const out = sm.apply(entry(req(0, 42, { op: 'register' })));
  expect(out.result).toMatchObject({ ok: true, op: 'register' });
  return (out.result as { clientId: number }).clientId;
}

describe('KvStateMachine', () => {
  it('puts, gets, deletes and ranges in byte order', () => {
    const sm = new KvStateMachine();
    const c = registered(sm);
    sm.apply(entry(req(c, 1, { op: 'put', key: 'b', value: v('2') })));
    sm.apply(entry(req(c, 2, { op: 'put', key: 'a', value: v('1') })));
    sm.apply(entry(req(c, 3, { op: 'put', key: 'c', value: v('3') })));
    sm.apply(entry(req(c, 4, { op: 'delete', key: 'c' })));
    expect(sm.get('a')).toEqual(v('1'));
    expect(sm.get('c')).toBeNull();
    expect(sm.range('a', 'z').map(([k]) => k)).toEqual(['a', 'b']);
    expect(sm.range('a', 'b')).toHaveLength(1);
    expect(sm.range('a', 'z', 1)).toHaveLength(1);
    const got = sm.apply(entry(req(c, 5, { op: 'get', key: 'b' })));
    expect(got.result).toEqual({ ok: true, op: 'get', value: v('2') });
  });

  it('a retried request is applied once and answered with the first result', () => {
    const sm = new KvStateMachine();
    const c = registered(sm);
    sm.apply(entry(req(c, 1, { op: 'put', key: 'k', value: v('first') })));
    sm.apply(entry(req(c, 2, { op: 'put', key: 'k', value: v('second') })));
    // The client never saw the answer to request 1 and retries it: it must not overwrite "second".
    const retry = sm.apply(entry(req(c, 1, { op: 'put', key: 'k', value: v('first') })));
    expect(retry.result).toEqual({ ok: true, op: 'put' });
    expect(sm.get('k')).toEqual(v('second'));
  });

  it('forgets acknowledged results and refuses their retries instead of re-applying', () => {
    const sm = new KvStateMachine();
    const c = registered(sm);
    sm.apply(entry(req(c, 1, { op: 'put', key: 'k', value: v('1') })));
    sm.apply(entry(req(c, 2, { op: 'put', key: 'k', value: v('2') }, 2)));
    const late = sm.apply(entry(req(c, 1, { op: 'put', key: 'k', value: v('1') }, 2)));
    expect(late.result).toMatchObject({ ok: false, error: 'STALE_REQUEST' });
    expect(sm.get('k')).toEqual(v('2'));
  });

  it('an unknown or evicted session gets SESSION_EXPIRED, never a silent double apply', () => {
    const sm = new KvStateMachine(2);
    const a = registered(sm);
    sm.apply(entry(req(a, 1, { op: 'put', key: 'x', value: v('a') })));
    registered(sm);
    registered(sm);
    const out = sm.apply(entry(req(a, 1, { op: 'put', key: 'x', value: v('a') })));
    expect(out.result).toMatchObject({ ok: false, error: 'SESSION_EXPIRED' });
    expect(sm.apply(entry(req(999, 1, { op: 'delete', key: 'x' }))).result).toMatchObject({ error: 'SESSION_EXPIRED' });
    expect(sm.get('x')).toEqual(v('a'));
  });

  it('snapshot and restore carry the data and the session table, byte-identically', () => {
    const sm = new KvStateMachine();
    const c = registered(sm);
    sm.apply(entry(req(c, 1, { op: 'put', key: 'k', value: v('1') })));
    const snap = sm.snapshot();
    const other = new KvStateMachine();
    other.restore(snap);
    expect(other.get('k')).toEqual(v('1'));
    expect(Buffer.from(other.snapshot()).equals(Buffer.from(snap))).toBe(true);
    // The dedup state came along: a retry on the restored copy is not re-applied.
    other.apply(entry(req(c, 2, { op: 'put', key: 'k', value: v('2') })));
    other.apply(entry(req(c, 1, { op: 'put', key: 'k', value: v('1') })));
    expect(other.get('k')).toEqual(v('2'));
  });

  it('a malformed entry is answered BAD_COMMAND and changes nothing', () => {
    const sm = new KvStateMachine();
    const out = sm.apply({ term: 1, index: 99, type: 'normal', data: new Uint8Array([0xc1]) });
    expect(out.result).toMatchObject({ ok: false, error: 'BAD_COMMAND' });
    expect(sm.size()).toBe(0);
  });

  it('through Raft: a write retried at a new leader after a leader change applies once', () => {
    const c = new TestCluster([1, 2, 3], { stateMachine: () => new KvStateMachine() });
    expect(c.elect(1)).toBe(true);
    c.core(1).propose(encodeRequest(req(0, 7, { op: 'register' })));
    c.processReady(c.node(1));
    c.deliverAll();
    const sm1 = c.node(1).sm as KvStateMachine;
    const clientId = c.core(1).log.committed; // the register entry's index
    const put = (value: string, id: number) => encodeRequest(req(clientId, id, { op: 'put', key: 'k', value: v(value) }));
    // The write commits, but the client's answer is lost with the old leader.
    c.core(1).propose(put('once', 1));
    c.processReady(c.node(1));
    c.deliverAll();
    c.tick(1);
    c.deliverAll();
    expect(sm1.get('k')).toEqual(v('once'));
    c.core(1).propose(put('later', 2));
    c.processReady(c.node(1));
    c.deliverAll();
    c.isolate(1);
    for (let i = 0; i < 100 && c.core(2).state !== 'leader' && c.core(3).state !== 'leader'; i++) {
      c.tickAll();
      c.deliverAll();
    }
    const leader = c.core(2).state === 'leader' ? 2 : 3;
    c.core(leader).propose(put('once', 1));
    c.processReady(c.node(leader));
    c.deliverAll();
    c.tick(leader);
    c.deliverAll();
    expect((c.node(leader).sm as KvStateMachine).get('k')).toEqual(v('later'));
  });

  it('a string client id needs no registration and dedups retries on any member', () => {
    const a = new KvStateMachine();
    const b = new KvStateMachine();
    // Both members apply the same entries: the retry is answered from the session, not applied again.
    const log = [
      entry(req('api-client', 1, { op: 'put', key: 'k', value: v('1') })),
      entry(req('other', 1, { op: 'put', key: 'k', value: v('2') })),
      entry(req('api-client', 1, { op: 'put', key: 'k', value: v('1') })),
    ];
    for (const sm of [a, b]) {
      sm.apply(log[0]!);
      sm.apply(log[1]!);
      const retry = sm.apply(log[2]!);
      expect(retry.result).toEqual({ ok: true, op: 'put' });
      expect(sm.get('k')).toEqual(v('2'));
    }
    expect(Buffer.from(a.snapshot()).equals(Buffer.from(b.snapshot()))).toBe(true);
    // Client 1 (numeric) and client "1" are different sessions.
    const c = new KvStateMachine();
    expect(c.apply(entry(req(1, 1, { op: 'delete', key: 'x' }))).result).toMatchObject({ error: 'SESSION_EXPIRED' });
    expect(c.apply(entry(req('1', 1, { op: 'delete', key: 'x' }))).result).toEqual({ ok: true, op: 'delete' });
  });

  it('a session keeps a window of results: an id pushed out of it is refused as stale, never re-applied', () => {
    const t = new SessionTable(10, 3);
    for (let id = 1; id <= 4; id++) {
      expect(t.check('c', id, 0, id).kind).toBe('new');
      t.record('c', id, { ok: true, op: 'put' });
    }
    expect(t.check('c', 1, 0, 5)).toMatchObject({ kind: 'error', result: { error: 'STALE_REQUEST' } });
    expect(t.check('c', 2, 0, 6)).toMatchObject({ kind: 'duplicate' });
  });

  it('merging another table keeps every applied request applied', () => {
    const from = new SessionTable(10);
    from.check('c', 7, 0, 1);
    from.record('c', 7, { ok: true, op: 'put' });
    const into = new SessionTable(10);
    into.check('c', 3, 0, 1);
    into.record('c', 3, { ok: true, op: 'delete' });
    into.merge(from.toJSON(), 2);
    expect(into.check('c', 7, 0, 3)).toMatchObject({ kind: 'duplicate', result: { op: 'put' } });
    expect(into.check('c', 3, 0, 4)).toMatchObject({ kind: 'duplicate', result: { op: 'delete' } });
    expect(into.check('c', 8, 0, 5).kind).toBe('new');
  });

  it('deleteRange removes [start, end) and answers the count', () => {
    const sm = new KvStateMachine();
    for (const k of ['a', 'b', 'c', 'd']) sm.apply(entry(req('w', k.charCodeAt(0), { op: 'put', key: k, value: v(k) })));
    const out = sm.apply(entry(req('w', 200, { op: 'deleteRange', start: 'b', end: 'd' })));
    expect(out.result).toEqual({ ok: true, op: 'deleteRange', deleted: 2 });
    expect(sm.range('', '\uffff').map(([k]) => k)).toEqual(['a', 'd']);
  });

  it('compareKeys is UTF-8 byte order', () => {
    const keys = ['a', '\u00ff', '\ue000', '\u{1f600}', 'ab', '', '\u0080'];
    const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8')));
    expect([...keys].sort(compareKeys)).toEqual(byBytes);
  });

  it('keeps range reads in byte order while keys come and go between them', () => {
    const sm = new KvStateMachine();
    const model = new Map<string, string>();
    let seed = 7;
    const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let i = 0; i < 400; i++) {
      const k = String.fromCharCode(97 + rnd(5), 97 + rnd(5), rnd(3) === 0 ? 0xe9 : 97);
      if (rnd(3) === 0) {
        sm.apply(entry(req('m', i + 1, { op: 'delete', key: k })));
        model.delete(k);
      } else {
        sm.apply(entry(req('m', i + 1, { op: 'put', key: k, value: v(String(i)) })));
        model.set(k, String(i));
      }
      if (i % 7 === 0) {
        const want = [...model.keys()].sort(compareKeys);
        expect(sm.range('', '\uffff').map(([key]) => key)).toEqual(want);
      }
    }
  });
});
