import { describe, expect, it } from 'vitest';
import { ent, logStoreConformance } from './conformance.js';
import { MemoryLogStore } from './memory.js';

describe('MemoryLogStore', () => {
  logStoreConformance(async () => {
    const store = new MemoryLogStore();
    // A clean restart of a memory store keeps everything that was synced, i.e. everything here.
    return { store, reopen: async () => store };
  });

  it('a crash loses what was not synced, and the pending save never resolves', async () => {
    const s = new MemoryLogStore('manual');
    const first = s.save({ entries: [ent(1, 1)], hardState: { term: 1, vote: 1, commit: 0 } });
    s.sync();
    await first;
    let resolved = false;
    void s.save({ entries: [ent(2, 1)], hardState: { term: 2, vote: 2, commit: 1 } }).then(() => (resolved = true));
    expect(s.lastIndex()).toBe(2);
    expect(s.hasUnsynced()).toBe(true);
    s.crash();
    await Promise.resolve();
    expect(resolved).toBe(false);
    expect(s.lastIndex()).toBe(1);
    expect(s.initialState().hardState).toEqual({ term: 1, vote: 1, commit: 0 });
  });

  it('one sync makes several saves durable at once', async () => {
    const s = new MemoryLogStore('manual');
    const a = s.save({ entries: [ent(1, 1)] });
    const b = s.save({ entries: [ent(2, 1)] });
    s.sync();
    await Promise.all([a, b]);
    s.crash();
    expect(s.lastIndex()).toBe(2);
    expect(s.syncCount).toBe(1);
  });
});
