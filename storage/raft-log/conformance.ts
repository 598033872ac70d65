import { expect, it } from 'vitest';
import { LogCompactedError, LogUnavailableError } from '../../actors/raft/errors.js';
import type { LogStore } from '../../actors/raft/storage.js';
import type { Entry } from '../../actors/raft/types.js';

/** A store under test plus a way to get the same store back as after a clean restart. */
export interface StoreFixture {
  store: LogStore;
  reopen(): Promise<LogStore>;
}

export const ent = (index: number, term: number, data = `e${index}`): Entry => ({
  index,
  term,
  type: 'normal',
  data: new Uint8Array(Buffer.from(data)),
});

const texts = (es: Entry[]): string[] => es.map((e) => `${e.index}@${e.term}:${Buffer.from(e.data).toString()}`);

/** The behaviour every LogStore shares; each implementation's test file runs it. */
export function logStoreConformance(make: () => Promise<StoreFixture>): void {
  it('starts empty', async () => {
    const { store } = await make();
    expect(store.firstIndex()).toBe(1);
    expect(store.lastIndex()).toBe(0);
    expect(store.term(0)).toBe(0);
    expect(store.initialState().hardState).toEqual({ term: 0, vote: 0, commit: 0 });
    expect(() => store.term(1)).toThrow(LogUnavailableError);
  });

  it('persists entries, term and vote across a reopen', async () => {
    const f = await make();
    await f.store.save({ hardState: { term: 2, vote: 3, commit: 1 }, entries: [ent(1, 1), ent(2, 2), ent(3, 2)] });
    const s = await f.reopen();
    expect(s.initialState().hardState).toEqual({ term: 2, vote: 3, commit: 1 });
    expect(s.lastIndex()).toBe(3);
    expect(s.term(2)).toBe(2);
    expect(texts(s.entries(1, 4, Infinity))).toEqual(['1@1:e1', '2@2:e2', '3@2:e3']);
  });

  it('limits entries by bytes but always returns at least one', async () => {
    const { store } = await make();
    await store.save({ entries: [ent(1, 1, 'x'.repeat(100)), ent(2, 1, 'y'.repeat(100)), ent(3, 1)] });
    expect(store.entries(1, 4, 1)).toHaveLength(1);
    expect(store.entries(1, 4, 260)).toHaveLength(2);
    expect(store.entries(1, 4, Infinity)).toHaveLength(3);
  });

  it('appending at an existing index truncates the conflicting suffix, and the truncation persists', async () => {
    const f = await make();
    await f.store.save({ entries: [ent(1, 1), ent(2, 1), ent(3, 1), ent(4, 1)] });
    await f.store.save({ entries: [ent(3, 2, 'new')] });
    expect(f.store.lastIndex()).toBe(3);
    expect(texts(f.store.entries(1, 4, Infinity))).toEqual(['1@1:e1', '2@1:e2', '3@2:new']);
    const s = await f.reopen();
    expect(s.lastIndex()).toBe(3);
    expect(() => s.term(4)).toThrow(LogUnavailableError);
    expect(s.term(3)).toBe(2);
  });

  it('refuses a gap', async () => {
    const { store } = await make();
    await store.save({ entries: [ent(1, 1)] });
    await expect(store.save({ entries: [ent(3, 1)] })).rejects.toThrow(/gap/);
  });

  it('compacts behind a snapshot, keeping the term of the last compacted entry', async () => {
    const f = await make();
    await f.store.save({ entries: [1, 2, 3, 4, 5, 6].map((i) => ent(i, i < 4 ? 1 : 2)) });
    const conf = { voters: [1, 2, 3], learners: [4] };
    await f.store.createSnapshot(5, conf, new Uint8Array([9, 9]), 1);
    for (const s of [f.store, await f.reopen()]) {
      expect(s.firstIndex()).toBe(5);
      expect(s.lastIndex()).toBe(6);
      expect(s.term(4)).toBe(2);
      expect(() => s.term(3)).toThrow(LogCompactedError);
      expect(() => s.entries(4, 6, Infinity)).toThrow(LogCompactedError);
      expect(s.snapshot().meta).toEqual({ index: 5, term: 2, confState: conf });
      expect([...s.snapshot().data]).toEqual([9, 9]);
      expect(s.initialState().confState).toEqual(conf);
    }
  });

  it('installing a received snapshot replaces the whole log', async () => {
    const f = await make();
    await f.store.save({ entries: [ent(1, 1), ent(2, 1)] });
    const snap = { meta: { index: 10, term: 3, confState: { voters: [1, 2], learners: [] } }, data: new Uint8Array([1]) };
    await f.store.save({ snapshot: snap, entries: [], hardState: { term: 3, vote: 0, commit: 10 } });
    for (const s of [f.store, await f.reopen()]) {
      expect(s.firstIndex()).toBe(11);
      expect(s.lastIndex()).toBe(10);
      expect(s.term(10)).toBe(3);
      expect(s.initialState().hardState.commit).toBe(10);
    }
    await f.store.save({ entries: [ent(11, 3)] });
    expect(f.store.lastIndex()).toBe(11);
  });
}
