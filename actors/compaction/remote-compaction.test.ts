import { afterEach, describe, expect, it } from 'vitest';
import { ActorSystem, MemoryLogger, type ActorRef } from '../../runtime/index.js';
import { runCompactionJob, type CompactionJobOutput } from '../../storage/compaction-job.js';
import { InlineJobRunner, type StorageJobRunner } from '../../storage/job-runner.js';
import { compactionActorProps, type CompactionEvent } from './compaction-actor.js';
import type { CompactionReply, CompactionRequest } from './messages.js';
import { GatedRunner, compact, expectSameTables as expectSame, jobInput, stats } from './testing/fixtures.js';

/** These outputs span several tables. */
const expectSameTables = (a: CompactionJobOutput, b: CompactionJobOutput): void => expectSame(a, b, 2);

let sys: ActorSystem;
afterEach(() => sys?.terminate());






function owner(target: ActorRef<CompactionRequest>, events: CompactionEvent[], timeoutMs = 200) {
  return sys.spawn(
    compactionActorProps({
      local: new InlineJobRunner(),
      node: 'owner',
      placement: () => ({ target, targetNode: 'target', timeoutMs, predictedMs: 5 }),
      onRecord: (e) => events.push(e),
    }),
    'owner',
  );
}

describe('remote compaction', () => {
  it('a merge run on another node equals the local merge byte for byte, and is recorded as remote', async () => {
    sys = new ActorSystem({ name: 'a', logger: new MemoryLogger() });
    const expected = runCompactionJob(jobInput());
    const target = sys.spawn(compactionActorProps({ local: new InlineJobRunner(), node: 'target' }), 'target');
    const events: CompactionEvent[] = [];
    const r = await compact(owner(target, events, 10_000), jobInput());
    expect(r.ranOn).toBe('target');
    expectSameTables(r.output, expected);
    expect(events).toEqual([expect.objectContaining({ owner: 'owner', ranOn: 'target', outcome: 'remote' })]);
    const s = await stats(sys.ref<CompactionRequest>({ system: 'a', path: 'owner' }));
    expect(s.remoteJobs).toBe(1);
    expect(s.bytesSent).toBe(jobInput().inputs.reduce((n, b) => n + b.byteLength, 0));
    expect(s.predictions).toHaveLength(1);
  });

  it('target crash mid-job: the owner redoes the merge locally, the same bytes, once', async () => {
    sys = new ActorSystem({ name: 'a', logger: new MemoryLogger() });
    const gated = new GatedRunner();
    const target = sys.spawn(compactionActorProps({ local: gated, node: 'target' }), 'target');
    const events: CompactionEvent[] = [];
    const pending = compact(owner(target, events), jobInput());
    await new Promise((r) => setTimeout(r, 20));
    expect(gated.started).toBe(1);
    sys.stop(target); // the target dies with the merge half done
    const r = await pending;
    gated.release(); // a zombie finishing late changes nothing
    expect(r.ranOn).toBe('owner');
    expectSameTables(r.output, runCompactionJob(jobInput()));
    expect(events.map((e) => [e.outcome, e.fallbackReason])).toEqual([
      ['timed-out', undefined],
      ['fallback', 'timeout'],
    ]);
    // The abandoned attempt is reported against the target: at least the time waited.
    expect(events[0]!.ranOn).toBe('target');
    expect(events[0]!.computeMs).toBeGreaterThan(0);
  });

  it('timeout: a target slower than the deadline loses the job; its late answer is dropped', async () => {
    sys = new ActorSystem({ name: 'a', logger: new MemoryLogger() });
    const gated = new GatedRunner();
    const target = sys.spawn(compactionActorProps({ local: gated, node: 'target' }), 'target');
    const events: CompactionEvent[] = [];
    const ownerRef = owner(target, events, 50);
    const r = await compact(ownerRef, jobInput());
    gated.release();
    await new Promise((res) => setTimeout(res, 20));
    expect(r.ranOn).toBe('owner');
    const s = await stats(ownerRef);
    expect(s.fallbacksByReason.timeout).toBe(1);
    expect(s.remoteJobs).toBe(0);
    expect(s.localJobs).toBe(1);
    // One record teaches the model the target took at least the deadline; one is the local merge.
    expect(events.map((e) => [e.outcome, e.ranOn])).toEqual([
      ['timed-out', 'target'],
      ['fallback', 'owner'],
    ]);
    expect(events[0]!.computeMs).toBeGreaterThanOrEqual(50);
  });

  it('corrupt output: a flipped byte in transit fails the checksum and the merge runs locally', async () => {
    sys = new ActorSystem({ name: 'a', logger: new MemoryLogger() });
    const honest = sys.spawn(compactionActorProps({ local: new InlineJobRunner(), node: 'target' }), 'honest');
    // A link that flips one bit of the first output chunk (it rides on the merge's answer) after the target checksummed it (a copy: in one process messages are shared).
    const flaky = sys.spawn<CompactionRequest>(
      {
        create: () => ({
          receive: async (m, ctx) => {
            if (m.type === 'release') return honest.tell(m);
            const r = await honest.ask<CompactionReply>(m, { timeoutMs: 5000 });
            if (r.ok && r.type === 'merged' && r.head !== undefined) {
              const head = Uint8Array.from(r.head);
              head[100]! ^= 0x10;
              ctx.reply({ ...r, head });
              return;
            }
            ctx.reply(r);
          },
        }),
      },
      'flaky',
    );
    const events: CompactionEvent[] = [];
    const r = await compact(owner(flaky, events, 5000), jobInput());
    expect(r.ranOn).toBe('owner');
    expectSameTables(r.output, runCompactionJob(jobInput()));
    expect(events.map((e) => e.fallbackReason)).toEqual(['corrupt']);
  });

  it('a target with no free core refuses, and a failing target errors: both fall back locally', async () => {
    sys = new ActorSystem({ name: 'a', logger: new MemoryLogger() });
    const busy = sys.spawn(compactionActorProps({ local: new InlineJobRunner(), node: 'busy', admitRemote: () => false }), 'busy');
    const broken: StorageJobRunner = {
      flush: (i) => new InlineJobRunner().flush(i),
      compact: () => Promise.reject(new Error('disk on fire')),
    };
    const failing = sys.spawn(compactionActorProps({ local: broken, node: 'failing' }), 'failing');
    const e1: CompactionEvent[] = [];
    const e2: CompactionEvent[] = [];
    expect((await compact(owner(busy, e1, 5000), jobInput())).ranOn).toBe('owner');
    expect((await stats(busy)).rejectedBusy).toBe(1);
    expect((await stats(busy)).servedForOthers).toBe(0);
    const o2 = sys.spawn(
      compactionActorProps({ local: new InlineJobRunner(), node: 'owner2', placement: () => ({ target: failing, targetNode: 'failing' }), onRecord: (e) => e2.push(e) }),
      'owner2',
    );
    expect((await compact(o2, jobInput())).ranOn).toBe('owner2');
    expect(e1.map((e) => e.fallbackReason)).toEqual(['busy']);
    expect(e2.map((e) => e.fallbackReason)).toEqual(['error']);
  });

  it('a placement that throws never blocks the merge', async () => {
    sys = new ActorSystem({ name: 'a', logger: new MemoryLogger() });
    const o = sys.spawn(
      compactionActorProps({
        local: new InlineJobRunner(),
        placement: () => {
          throw new Error('scheduler exploded');
        },
      }),
      'o',
    );
    expect((await compact(o, jobInput())).output.tables.length).toBeGreaterThan(0);
  });
});
