import { afterEach, describe, expect, it } from 'vitest';
import { ActorSystem, MemoryLogger, type ActorRef } from '../../runtime/index.js';
import { LsmEngine } from '../../storage/engine.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';
import { InlineJobRunner } from '../../storage/job-runner.js';
import { ActorJobRunner } from './actor-job-runner.js';
import { compactionActorProps } from './compaction-actor.js';
import type { CompactionReply, CompactionRequest } from './messages.js';

let sys: ActorSystem;
afterEach(() => sys?.terminate());

async function fillAndCheck(engine: LsmEngine): Promise<void> {
  for (let i = 0; i < 1500; i++) await engine.put('local', Buffer.from(`key${i % 400}`), Buffer.from(`value-${i}`));
  await engine.waitForIdle();
  await engine.compactAll();
  for (let i = 1100; i < 1500; i++) expect(engine.get('local', Buffer.from(`key${i % 400}`))?.toString()).toBe(`value-${i}`);
}

const small = { dir: '/db', writeBufferSizeBytes: 4096, level0FileNumCompactionTrigger: 2, maxBytesForLevelBaseBytes: 16384, targetFileSizeBaseBytes: 4096 };

async function stats(ref: ActorRef<CompactionRequest>) {
  const r = await ref.ask<CompactionReply>({ type: 'stats' }, { timeoutMs: 1000 });
  if (!r.ok || r.type !== 'stats') throw new Error('no stats');
  return r.stats;
}

describe('compaction actor', () => {
  it('runs the engine merges locally by default', async () => {
    sys = new ActorSystem({ name: 'a', logger: new MemoryLogger() });
    const comp = sys.spawn(compactionActorProps({ local: new InlineJobRunner() }), 'compaction');
    const engine = await LsmEngine.open({ fs: new MemoryFileSystem(), ...small, jobs: new ActorJobRunner(comp, new InlineJobRunner()) });
    await fillAndCheck(engine);
    const s = await stats(comp);
    expect(s.localJobs).toBeGreaterThan(0);
    expect(s.remoteJobs).toBe(0);
    await engine.close();
  });

  it('offloads merges to another node when placement says so', async () => {
    sys = new ActorSystem({ name: 'a', logger: new MemoryLogger() });
    const remote = sys.spawn(compactionActorProps({ local: new InlineJobRunner() }), 'remote-compaction');
    const comp = sys.spawn(compactionActorProps({ local: new InlineJobRunner(), placement: () => remote }), 'compaction');
    const engine = await LsmEngine.open({ fs: new MemoryFileSystem(), ...small, jobs: new ActorJobRunner(comp, new InlineJobRunner()) });
    await fillAndCheck(engine);
    expect((await stats(comp)).remoteJobs).toBeGreaterThan(0);
    expect((await stats(remote)).servedForOthers).toBe((await stats(comp)).remoteJobs);
    await engine.close();
  });

  it('redoes a merge locally when the remote node does not answer in time', async () => {
    sys = new ActorSystem({ name: 'a', logger: new MemoryLogger() });
    // A node that takes jobs and never answers.
    const silent = sys.spawn<CompactionRequest>({ create: () => ({ receive: () => {} }) }, 'silent');
    const comp = sys.spawn(compactionActorProps({ local: new InlineJobRunner(), placement: () => silent, remoteTimeoutMs: 20 }), 'compaction');
    const engine = await LsmEngine.open({ fs: new MemoryFileSystem(), ...small, jobs: new ActorJobRunner(comp, new InlineJobRunner()) });
    await fillAndCheck(engine);
    const s = await stats(comp);
    expect(s.remoteFallbacks).toBeGreaterThan(0);
    expect(s.localJobs).toBe(s.remoteFallbacks);
    await engine.close();
  });
});
