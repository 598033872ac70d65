import { afterEach, describe, expect, it } from 'vitest';
import { ActorSystem, MemoryLogger, type ActorRef } from '../../runtime/index.js';
import { runCompactionJob, type CompactionJobInput, type CompactionJobOutput } from '../../storage/compaction-job.js';
import { InlineJobRunner, type StorageJobRunner } from '../../storage/job-runner.js';
import type { TransferSettings } from './chunked-transfer.js';
import { compactionActorProps, type CompactionEvent } from './compaction-actor.js';
import type { CompactionReply, CompactionRequest } from './messages.js';
import { GatedRunner, compact, expectSameTables as expectSame, jobInput, stats, until } from './testing/fixtures.js';

/** These outputs span several tables. */
const expectSameTables = (a: CompactionJobOutput, b: CompactionJobOutput): void => expectSame(a, b, 2);

let sys: ActorSystem | undefined;
afterEach(() => sys?.terminate());

const sizeOf = (i: CompactionJobInput) => i.inputs.reduce((n, b) => n + b.byteLength, 0);

/** Short per-send timeout so the tests run fast; small chunks so every direction has several. */
const transfer: Partial<TransferSettings> = { chunkBytes: 4096, window: 2, attemptTimeoutMs: 250, retries: 3 };





/** What the link does to one message: deliver it, lose it on the way, lose its answer on the way back, or deliver it twice. */
type Fate = 'deliver' | 'drop-request' | 'drop-answer' | 'twice';

/** Which message this is (a re-send has the same key): type, file or table, offset. */
function keyOf(m: CompactionRequest): string {
  switch (m.type) {
    case 'chunk':
      return `chunk ${m.file}@${m.offset}`;
    case 'fetch':
      return `fetch ${m.table}@${m.offset}`;
    default:
      return m.type;
  }
}

/**
 * A lossy link in front of `inner`: for each message, `fate(message, times
 * this key was seen before)` decides. It never holds its turn (a merge waiting
 * for a re-sent chunk must not block that chunk), and keeps the order of what
 * it delivers, like a link.
 */
function lossyLink(system: ActorSystem, inner: ActorRef<CompactionRequest>, path: string, fate: (m: CompactionRequest, seen: number) => Fate) {
  const seen = new Map<string, number>();
  const log: string[] = [];
  const ref = system.spawn<CompactionRequest>(
    {
      create: () => ({
        receive: (m, ctx) => {
          const sender = ctx.sender;
          const self = ctx.self as ActorRef<unknown>;
          const k = keyOf(m);
          const n = seen.get(k) ?? 0;
          seen.set(k, n + 1);
          const f = m.type === 'stats' || m.type === 'compact' ? 'deliver' : fate(m, n);
          if (f !== 'deliver') log.push(`${f} ${k}#${n}`);
          if (f === 'drop-request') return;
          if (m.type === 'release') return inner.tell(m);
          const first = f === 'twice' ? inner.ask<CompactionReply>(m, { timeoutMs: 10_000 }) : undefined;
          first?.catch(() => undefined);
          inner.ask<CompactionReply>(m, { timeoutMs: 10_000 }).then(
            (r) => {
              if (f !== 'drop-answer') sender?.tell(r, self);
            },
            () => undefined, // the inner actor is gone: say nothing, like a dead node
          );
        },
      }),
    },
    path,
  );
  return { ref, log, seen };
}


function setup(fate: (m: CompactionRequest, seen: number) => Fate, runner: StorageJobRunner = new InlineJobRunner(), extra: Partial<TransferSettings> = {}) {
  const system = new ActorSystem({ name: 'lossy', logger: new MemoryLogger() });
  sys = system;
  const real = system.spawn(compactionActorProps({ local: runner, node: 'target' }), 'target');
  const link = lossyLink(system, real, 'link', fate);
  const events: CompactionEvent[] = [];
  const owner = system.spawn(
    compactionActorProps({
      local: new InlineJobRunner(),
      node: 'owner',
      transfer: { ...transfer, ...extra },
      placement: () => ({ target: link.ref, targetNode: 'target', timeoutMs: 10_000, predictedMs: 10 }),
      onRecord: (e) => events.push(e),
    }),
    'owner',
  );
  return { system, real, link, owner, events };
}

/** Runs one merge through the lossy link and checks it ran on the target, equal to the local merge, released afterwards. */
async function remoteDespiteLoss(fate: (m: CompactionRequest, seen: number) => Fate) {
  const t = setup(fate);
  const r = await compact(t.owner, jobInput());
  expect(r.ranOn, JSON.stringify(t.link.log)).toBe('target');
  expectSameTables(r.output, runCompactionJob(jobInput()));
  expect(t.events.map((e) => e.outcome)).toEqual(['remote']);
  const o = await stats(t.owner);
  expect([o.remoteJobs, o.remoteFallbacks, o.localJobs]).toEqual([1, 0, 0]);
  expect(o.bytesSent).toBe(sizeOf(jobInput())); // each chunk counted once, re-sends or not
  expect(o.bytesReceived).toBe(r.output.tables.reduce((n, tb) => n + tb.bytes.byteLength, 0));
  await until(async () => (await stats(t.real)).heldForOthersBytes === 0, 'the target to free the job');
  const s = await stats(t.real);
  expect(s.servedForOthers).toBe(1); // merged once
  expect(s.inputBytes).toBe(sizeOf(jobInput()));
  return { ...t, o, s };
}

describe('remote merge over a lossy link: lost messages are sent again, the merge still runs remotely', () => {
  it('a lost offer: the chunks that overtook it are answered UNKNOWN_JOB and sent again after the re-sent offer', async () => {
    const { o, s, link } = await remoteDespiteLoss((m, n) => (m.type === 'offer' && n === 0 ? 'drop-request' : 'deliver'));
    expect(link.seen.get('offer')).toBe(2);
    expect(o.retries).toBeGreaterThanOrEqual(2); // the offer, and at least the chunks sent before it was accepted
    expect(s.staleMessages).toBeGreaterThan(0);
    expect(s.chunksReceived).toBe(o.chunksSent);
  });

  it('a lost chunk: the merge request overtakes its re-send and waits for it at the target', async () => {
    const { o, s, link } = await remoteDespiteLoss((m, n) => (m.type === 'chunk' && m.file === 2 && m.offset === 4096 && n === 0 ? 'drop-request' : 'deliver'));
    expect(link.seen.get('chunk 2@4096')).toBe(2);
    expect(o.retries).toBeGreaterThanOrEqual(1);
    expect(s.duplicateChunks).toBe(0);
    expect(s.chunksReceived).toBe(o.chunksSent);
  });

  it('a lost chunk ack: the re-sent chunk is acknowledged as a duplicate, written once', async () => {
    const { o, s } = await remoteDespiteLoss((m, n) => (m.type === 'chunk' && m.file === 0 && m.offset === 0 && n === 0 ? 'drop-answer' : 'deliver'));
    expect(o.retries).toBeGreaterThanOrEqual(1);
    expect(s.duplicateChunks).toBe(1);
    expect(s.chunksReceived).toBe(o.chunksSent);
  });

  it('a lost merge request: the re-sent merge starts it', async () => {
    const { o, link } = await remoteDespiteLoss((m, n) => (m.type === 'merge' && n === 0 ? 'drop-request' : 'deliver'));
    expect(link.seen.get('merge')).toBeGreaterThanOrEqual(2);
    expect(o.retries).toBeGreaterThanOrEqual(1);
  });

  it('a lost merge answer: the re-sent merge gets the same answer, the job is merged once', async () => {
    const { o, link } = await remoteDespiteLoss((m, n) => (m.type === 'merge' && n === 0 ? 'drop-answer' : 'deliver'));
    expect(link.seen.get('merge')).toBeGreaterThanOrEqual(2);
    expect(o.retries).toBeGreaterThanOrEqual(1);
  });

  it('a lost fetch answer: the re-sent fetch gets the same bytes', async () => {
    const { o, link } = await remoteDespiteLoss((m, n) => (m.type === 'fetch' && n === 0 && m.table === 1 ? 'drop-answer' : 'deliver'));
    expect(link.log.some((l) => l.startsWith('drop-answer fetch 1@'))).toBe(true);
    expect(o.retries).toBeGreaterThanOrEqual(1);
    expect(o.chunksFetched + 1).toBeGreaterThan(2); // the head rode on the merge's answer, the rest were fetched
  });

  it('one of each lost in the same job still completes remotely', async () => {
    const { o } = await remoteDespiteLoss((m, n) => {
      if (n !== 0) return 'deliver';
      if (m.type === 'offer') return 'drop-answer';
      if (m.type === 'chunk' && m.file === 1 && m.offset === 0) return 'drop-request';
      if (m.type === 'chunk' && m.file === 1 && m.offset === 4096) return 'drop-answer';
      if (m.type === 'merge') return 'drop-answer';
      if (m.type === 'fetch') return 'drop-request';
      return 'deliver';
    });
    expect(o.retries).toBeGreaterThanOrEqual(4);
  });

  it('a merge longer than the per-send timeout, nothing lost: polls, not retries', async () => {
    const gated = new GatedRunner();
    const t = setup(() => 'deliver', gated, { attemptTimeoutMs: 200 });
    const pending = compact(t.owner, jobInput());
    await until(() => gated.started === 1, 'the merge to start');
    await new Promise((r) => setTimeout(r, 900)); // several per-send timeouts
    gated.release();
    const r = await pending;
    expect(r.ranOn).toBe('target');
    expectSameTables(r.output, runCompactionJob(jobInput()));
    const o = await stats(t.owner);
    expect(o.retries).toBe(0);
    expect(o.mergePolls).toBeGreaterThanOrEqual(2);
    expect((await stats(t.real)).servedForOthers).toBe(1);
  });

  it('a target behind a link that loses everything: the owner gives up after the retries, well inside the deadline, and merges locally', async () => {
    const t = setup((m) => (m.type === 'release' ? 'deliver' : 'drop-request'));
    const t0 = Date.now();
    const r = await compact(t.owner, jobInput());
    const took = Date.now() - t0;
    expect(r.ranOn).toBe('owner');
    expectSameTables(r.output, runCompactionJob(jobInput()));
    // The offer went 1 + retries times, each waited attemptTimeoutMs (250 ms): about 1 s, not the 10 s deadline.
    expect(t.link.seen.get('offer')).toBe(4);
    expect(took).toBeGreaterThanOrEqual(4 * 250 - 20);
    expect(took).toBeLessThan(3000);
    expect(t.events.map((e) => [e.outcome, e.fallbackReason])).toEqual([
      ['timed-out', undefined],
      ['fallback', 'timeout'],
    ]);
    const o = await stats(t.owner);
    expect([o.remoteJobs, o.remoteFallbacks, o.localJobs]).toEqual([0, 1, 1]);
    expect(o.retries).toBeGreaterThanOrEqual(3);
    const s = await stats(t.real);
    expect([s.servedForOthers, s.heldForOthersBytes, s.chunksReceived]).toEqual([0, 0, 0]);
  });

  it('duplicate offers and chunks reserve and write nothing twice; a late offer after the release re-creates nothing', async () => {
    const gated = new GatedRunner();
    let kept: CompactionRequest | undefined;
    const t = setup((m) => {
      if (m.type === 'offer') {
        kept = m;
        return 'twice';
      }
      if (m.type === 'chunk' && m.offset === 0) return 'twice';
      return 'deliver';
    }, gated);
    const size = sizeOf(jobInput());
    const pending = compact(t.owner, jobInput());
    await until(() => gated.started === 1, 'the merge to start');
    const during = await stats(t.real);
    expect(during.heldForOthersBytes).toBe(2 * size); // one reservation, not one per copy
    expect(during.duplicateChunks).toBe(3); // the first chunk of each of the three files
    expect(during.chunksReceived).toBe((await stats(t.owner)).chunksSent);
    gated.release();
    const r = await pending;
    expect(r.ranOn).toBe('target');
    expectSameTables(r.output, runCompactionJob(jobInput()));
    await until(async () => (await stats(t.real)).heldForOthersBytes === 0, 'the release');
    const late = await t.real.ask<CompactionReply>(kept!, { timeoutMs: 2000 });
    expect(late).toMatchObject({ ok: false, code: 'UNKNOWN_JOB' });
    const after = await stats(t.real);
    expect(after.heldForOthersBytes).toBe(0);
    expect(after.servedForOthers).toBe(1);
    expect(after.staleMessages).toBe(1);
  });
});
