import { afterEach, describe, expect, it } from 'vitest';
import { ActorSystem, MemoryLogger, type ActorRef } from '../../runtime/index.js';
import { runCompactionJob, type CompactionJobInput, type CompactionJobOutput } from '../../storage/compaction-job.js';
import type { FlushJobInput, FlushJobOutput } from '../../storage/flush-job.js';
import { ValueType } from '../../storage/internal-key.js';
import { InlineJobRunner, type StorageJobRunner } from '../../storage/job-runner.js';
import { SSTableBuilder } from '../../storage/sstable-builder.js';
import { compactionActorProps, type CompactionEvent } from './compaction-actor.js';
import type { CompactionReply, CompactionRequest, CompactionStats } from './messages.js';

let sys: ActorSystem;
afterEach(() => sys?.terminate());

const table = { blockSizeBytes: 1024, blockRestartInterval: 16, bloomBitsPerKey: 10 };

/** Three overlapping tables: newer sequence numbers shadow older ones, some deletions. */
function jobInput(): CompactionJobInput {
  const inputs: Uint8Array[] = [];
  for (let t = 0; t < 3; t++) {
    const b = new SSTableBuilder(table);
    for (let k = 0; k < 600; k += 1 + t) {
      const key = Buffer.from(`key${String(k).padStart(5, '0')}`);
      if (t === 2 && k % 7 === 0) b.add(key, 10_000 * (t + 1) + k, ValueType.Deletion, Buffer.alloc(0));
      else b.add(key, 10_000 * (t + 1) + k, ValueType.Value, Buffer.from(`v${t}-${k}-${'x'.repeat(40)}`));
    }
    inputs.push(Uint8Array.from(b.finish().bytes));
  }
  return { inputs, targetFileSizeBytes: 8 * 1024, dropTombstones: true, table };
}

async function compact(ref: ActorRef<CompactionRequest>, input: CompactionJobInput): Promise<Extract<CompactionReply, { type: 'output' }>> {
  const r = await ref.ask<CompactionReply>({ type: 'compact', input }, { timeoutMs: 10_000 });
  if (!r.ok || r.type !== 'output') throw new Error(`compaction failed: ${JSON.stringify(r)}`);
  return r;
}

async function stats(ref: ActorRef<CompactionRequest>): Promise<CompactionStats> {
  const r = await ref.ask<CompactionReply>({ type: 'stats' }, { timeoutMs: 1000 });
  if (!r.ok || r.type !== 'stats') throw new Error('no stats');
  return r.stats;
}

function expectSameTables(a: CompactionJobOutput, b: CompactionJobOutput): void {
  expect(a.tables.length).toBe(b.tables.length);
  expect(a.tables.length).toBeGreaterThan(1);
  for (const [i, t] of a.tables.entries()) expect(Buffer.from(t.bytes).equals(Buffer.from(b.tables[i]!.bytes))).toBe(true);
}

/** A runner whose merges wait for `release()`, and that counts what it ran. */
class GatedRunner implements StorageJobRunner {
  started = 0;
  private gates: Array<() => void> = [];
  async flush(input: FlushJobInput): Promise<FlushJobOutput> {
    return new InlineJobRunner().flush(input);
  }
  async compact(input: CompactionJobInput): Promise<CompactionJobOutput> {
    this.started++;
    await new Promise<void>((resolve) => this.gates.push(resolve));
    return runCompactionJob(input);
  }
  release(): void {
    for (const g of this.gates.splice(0)) g();
  }
}

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
