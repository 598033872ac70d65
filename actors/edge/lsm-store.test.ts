import { afterEach, describe, expect, it } from 'vitest';
import { encodeRequest, type KvCommand, type KvResult } from '../raft/kv/commands.js';
import type { Entry } from '../raft/types.js';
import { LsmEngine } from '../../storage/engine.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';
import { EdgeStateMachine, toHexSpans } from './edge-state-machine.js';
import { allGlobal, allLocal, globalKey, localKey, ringSpans } from './keyspace.js';
import { ringSize } from '../gateway/ring-id.js';
import { LsmKvStore } from './lsm-store.js';

const engines: LsmEngine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
});

async function openEngine(fs = new MemoryFileSystem(), dir = '/lsm'): Promise<LsmEngine> {
  // A tiny memtable: the state moves into tables (and through compactions) early.
  const e = await LsmEngine.open({ fs, dir, wal: false, writeBufferSizeBytes: 1024, level0FileNumCompactionTrigger: 2, maxBytesForLevelBaseBytes: 8192 });
  engines.push(e);
  return e;
}

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let index = 1;
function run(sm: EdgeStateMachine, command: KvCommand, requestId: number, at = index++): KvResult {
  const e: Entry = { term: 1, index: at, type: 'normal', data: encodeRequest({ clientId: 'c', requestId, firstUnacked: 0, command }) };
  return sm.apply(e).result;
}

describe('EdgeStateMachine over LsmKvStore against the same machine over the map', () => {
  it('random local and global writes, range deletes, moves out and in (release, complete, imports) give the same answers and the same snapshot bytes', async () => {
    const engine = await openEngine();
    const lsm = new EdgeStateMachine(new LsmKvStore(engine));
    const map = new EdgeStateMachine();
    const rand = rng(7);
    // Binary user keys, including bytes >= 0x80 (latin1 chars).
    const userKey = (): Buffer => Buffer.from([Math.floor(rand() * 6) * 50, Math.floor(rand() * 4)]);
    const half = ringSize() / 2n;
    const spans = toHexSpans(ringSpans(half - 1n, ringSize() - 1n));
    // The moved half goes out (release, complete) and comes back (importBegin, chunks, importEnd), in random orders.
    let released = 0;
    let imported = 0;
    for (let i = 1; i <= 1500; i++) {
      const r = rand();
      let cmd: KvCommand;
      if (r < 0.35) cmd = { op: 'put', key: localKey(userKey()), value: Buffer.from(`v${i}`) };
      else if (r < 0.6) cmd = { op: 'custom', name: 'gput', args: { key: globalKey(userKey()), value: Buffer.from(`g${i}`) } };
      else if (r < 0.7) cmd = { op: 'delete', key: localKey(userKey()) };
      else if (r < 0.78) cmd = { op: 'custom', name: 'gdelete', args: { key: globalKey(userKey()) } };
      else if (r < 0.82) {
        const [a, z] = [localKey(userKey()), localKey(userKey())].sort();
        cmd = { op: 'deleteRange', start: a!, end: z! };
      } else if (r < 0.84) cmd = { op: 'custom', name: 'release', args: { spans, to: 'g2' } };
      else if (r < 0.86) cmd = { op: 'custom', name: 'complete', args: { spans, epoch: released, to: 'g2' } };
      else if (r < 0.87) cmd = { op: 'custom', name: 'importBegin', args: { spans, epoch: (imported = released + 1), from: 'g2' } };
      else if (r < 0.88) cmd = { op: 'custom', name: 'importEnd', args: { spans, epoch: imported } };
      else if (r < 0.885) cmd = { op: 'custom', name: 'importChunk', args: { epoch: imported, entries: [[globalKey(userKey()), Buffer.from(`i${i}`)]], sessions: [] } };
      else cmd = { op: 'put', key: localKey(userKey()), value: Buffer.alloc(40, i % 256) };
      if (i === 1) cmd = { op: 'custom', name: 'genesis', args: {} };
      const at = index++;
      const a = run(map, cmd, i, at);
      const b = run(lsm, cmd, i, at);
      expect(b).toEqual(a);
      if (cmd.op === 'custom' && cmd.name === 'release' && a.ok && a.op === 'custom') released = a.value as number;
      if (i % 100 === 0) {
        // Apply is synchronous; flushes and merges run between batches (as between a member's Readies).
        if (i % 500 === 0) await engine.compactAll();
        else await engine.flush();
        expect(lsm.counts()).toEqual(map.counts());
        // Bounds of every shape: inside a keyspace, across both, beyond them, and with chars past U+00FF.
        for (const [start, end] of [
          [allLocal.start, allLocal.end],
          [allGlobal.start, allLocal.end],
          ['', '\uffff'],
          ['L:\u0032', 'L:\u0096\u0001'],
          ['L:\u0032\u0100', 'L:\u00c8\u0100'],
          ['G:8', 'G:c'],
          ['A', 'H'],
        ] as const) {
          expect(lsm.range(start, end)).toEqual(map.range(start, end));
          expect(lsm.range(start, end, 3)).toEqual(map.range(start, end, 3));
        }
      }
    }
    expect(engine.stats().flushes).toBeGreaterThan(10);
    expect(engine.stats().compactions).toBeGreaterThan(0);
    expect(Buffer.from(lsm.snapshot()).equals(Buffer.from(map.snapshot()))).toBe(true);
  });

  it('a restore replaces everything the engine held; a new store over an engine starts empty', async () => {
    const fs = new MemoryFileSystem();
    const source = new EdgeStateMachine(new LsmKvStore(await openEngine(fs, '/a')));
    run(source, { op: 'put', key: localKey(Buffer.from('kept')), value: Buffer.from('1') }, 1);
    run(source, { op: 'custom', name: 'gput', args: { key: globalKey(Buffer.from('g')), value: Buffer.from('2') } }, 2);
    const image = source.snapshot();

    const engine = await openEngine(fs, '/b');
    const target = new EdgeStateMachine(new LsmKvStore(engine));
    run(target, { op: 'put', key: localKey(Buffer.from('stale')), value: Buffer.from('x') }, 1);
    target.restore(image);
    expect(target.range(allLocal.start, allLocal.end).map(([k]) => k)).toEqual(['L:kept']);
    expect(Buffer.from(target.snapshot()).equals(Buffer.from(image))).toBe(true);
    // Another state machine over the same engine (a member restart) starts from nothing.
    const fresh = new EdgeStateMachine(new LsmKvStore(engine));
    expect(fresh.counts()).toEqual({ local: 0, global: 0, fenced: 0 });
    expect(engine.scan('local')).toEqual([]);
  });

  it('refuses keys outside the edge keyspaces as BAD_COMMAND without storing anything', async () => {
    const engine = await openEngine();
    const sm = new EdgeStateMachine(new LsmKvStore(engine));
    expect(run(sm, { op: 'put', key: 'plain', value: Buffer.from('v') }, 1)).toMatchObject({ ok: false, error: 'BAD_COMMAND' });
    expect(run(sm, { op: 'put', key: 'L:\u0100', value: Buffer.from('v') }, 2)).toMatchObject({ ok: false, error: 'BAD_COMMAND' });
    expect(run(sm, { op: 'put', key: 'L:ok', value: Buffer.from('v') }, 3)).toMatchObject({ ok: true });
    expect(engine.scan('local').map((e) => e.key.toString('latin1'))).toEqual(['ok']);
    expect(engine.appliedIndex).toBe(index - 1);
  });
});
