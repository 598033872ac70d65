import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ActorSystem, MemoryLogger } from '../../runtime/index.js';
import { SeededRandom } from '../../runtime/random.js';
import { LmdbLogStore } from '../../storage/raft-log/lmdb.js';
import { RaftClient } from './client.js';
import { KvStateMachine } from './kv/kv-state-machine.js';
import type { RaftMemberMessage } from './member-messages.js';
import { RaftMember } from './member.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A one-member group on a real lmdb log, in a real actor system (wall clock, short ticks). */
async function boot(path: string, name: string): Promise<{ system: ActorSystem; store: LmdbLogStore; client: RaftClient }> {
  const store = LmdbLogStore.open({ path });
  const system = new ActorSystem({ name, logger: new MemoryLogger(), random: new SeededRandom(1) });
  system.spawn(
    RaftMember.props({
      id: 1,
      peers: [1],
      peerRef: (to, ctx) => ctx.self.via.ref<RaftMemberMessage>({ system: name, path: 'raft' }),
      store,
      stateMachine: () => new KvStateMachine(),
      tickMs: 5,
      snapshotEveryEntries: 20,
      snapshotCatchupEntries: 5,
    }),
    'raft',
  );
  const client = new RaftClient(system, new Map([[1, { system: name, path: 'raft' }]]), {
    askTimeoutMs: 2000,
    maxAttempts: 40,
    retryBackoffMs: 20,
  });
  return { system, store, client };
}

describe('RaftMember on lmdb', () => {
  it('keeps acknowledged writes across a restart, through snapshots and log replay', async () => {
    const path = mkdtempSync(join(tmpdir(), 'raft-member-lmdb-'));
    dirs.push(path);
    const first = await boot(path, 'a');
    for (let i = 0; i < 50; i++) await first.client.put(`k${i}`, new Uint8Array([i]));
    // 50 writes with a snapshot every 20 entries: the log was compacted behind a snapshot.
    expect(first.store.snapshot().meta.index).toBeGreaterThan(0);
    expect(first.store.firstIndex()).toBeGreaterThan(1);
    first.system.terminate();
    await first.store.close();

    const second = await boot(path, 'b');
    try {
      for (const i of [0, 19, 37, 49]) expect(await second.client.get(`k${i}`)).toEqual(new Uint8Array([i]));
      const hs = second.store.initialState().hardState;
      expect(hs.term).toBeGreaterThanOrEqual(1);
      expect(hs.vote).toBe(1);
    } finally {
      second.system.terminate();
      await second.store.close();
    }
  });
});
