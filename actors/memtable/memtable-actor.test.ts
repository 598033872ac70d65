import { afterEach, describe, expect, it } from 'vitest';
import { ActorSystem, MemoryLogger } from '../../runtime/index.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';
import { memtableActorProps } from './memtable-actor.js';
import type { MemtableReply, MemtableRequest } from './messages.js';

const b = (s: string) => Buffer.from(s);
let sys: ActorSystem;
afterEach(() => sys?.terminate());

function start(fs = new MemoryFileSystem()) {
  sys = new ActorSystem({ name: 'node', logger: new MemoryLogger() });
  const ref = sys.spawn(memtableActorProps({ engine: { fs, dir: '/db', writeBufferSizeBytes: 2048 } }), 'memtable');
  const ask = (m: MemtableRequest) => ref.ask<MemtableReply>(m, { timeoutMs: 5000 });
  return { ref, ask, fs };
}

describe('memtable actor', () => {
  it('serves writes, reads, scans and flushes by message', async () => {
    const { ask } = start();
    const writes = [];
    for (let i = 0; i < 100; i++) writes.push(ask({ type: 'put', keyspace: 'local', key: b(`k${String(i).padStart(3, '0')}`), value: b(`v${i}`), appliedIndex: i + 1 }));
    expect((await Promise.all(writes)).every((r) => r.ok)).toBe(true);
    expect(await ask({ type: 'delete', keyspace: 'local', key: b('k000') })).toEqual({ ok: true, type: 'done' });
    expect(await ask({ type: 'get', keyspace: 'local', key: b('k001') })).toEqual({ ok: true, type: 'value', value: b('v1') });
    expect(await ask({ type: 'get', keyspace: 'local', key: b('k000') })).toEqual({ ok: true, type: 'value', value: null });
    expect(await ask({ type: 'flush' })).toEqual({ ok: true, type: 'done' });
    const scan = await ask({ type: 'scan', keyspace: 'local', start: b('k010'), limit: 2 });
    expect(scan.ok && scan.type === 'entries' && scan.entries.map((e) => e.key.toString())).toEqual(['k010', 'k011']);
    const st = await ask({ type: 'stats' });
    expect(st.ok && st.type === 'stats' && st.stats.durableAppliedIndex).toBe(100);
  });

  it('answers bad requests with an error value and keeps serving', async () => {
    const { ask } = start();
    const r = await ask({ type: 'put', keyspace: 'local', key: Buffer.alloc(100_000), value: b('v') });
    expect(r).toMatchObject({ ok: false, code: 'KEY_TOO_LARGE' });
    const u = await ask({ type: 'get', keyspace: 'elsewhere' as 'local', key: b('k') });
    expect(u).toMatchObject({ ok: false, code: 'UNKNOWN_KEYSPACE' });
    expect(await ask({ type: 'put', keyspace: 'global', key: b('k'), value: b('v') })).toEqual({ ok: true, type: 'done' });
  });

  it('moves a global key range between two nodes and snapshots the engine', async () => {
    const { ask } = start();
    for (let i = 0; i < 30; i++) await ask({ type: 'put', keyspace: 'global', key: b(`g${String(i).padStart(2, '0')}`), value: b(`${i}`) });
    const other = sys.spawn(memtableActorProps({ engine: { fs: new MemoryFileSystem(), dir: '/db' } }), 'other');
    const exp = await ask({ type: 'export-range', start: b('g10'), end: b('g20') });
    if (!exp.ok || exp.type !== 'chunks') throw new Error('export failed');
    for (const chunk of exp.chunks) expect(await other.ask<MemtableReply>({ type: 'import-range', chunk }, { timeoutMs: 5000 })).toEqual({ ok: true, type: 'count', count: 10 });
    const moved = await other.ask<MemtableReply>({ type: 'scan', keyspace: 'global' }, { timeoutMs: 5000 });
    expect(moved.ok && moved.type === 'entries' && moved.entries.length).toBe(10);
    expect(await ask({ type: 'delete-range', keyspace: 'global', start: b('g10'), end: b('g20') })).toEqual({ ok: true, type: 'count', count: 10 });
    const snap = await ask({ type: 'snapshot' });
    expect(snap.ok && snap.type === 'snapshot' && snap.snapshot.subarray(0, 8).toString()).toBe('EKVSNAP1');
  });
});
