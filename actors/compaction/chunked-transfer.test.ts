import { afterEach, describe, expect, it } from 'vitest';
import { ActorSystem, MemoryLogger, Router, TcpTransport, type ActorRef } from '../../runtime/index.js';
import { runtimeDefaults } from '../../runtime/defaults.js';
import { runCompactionJob, type CompactionJobInput } from '../../storage/compaction-job.js';
import { ValueType } from '../../storage/internal-key.js';
import { InlineJobRunner } from '../../storage/job-runner.js';
import { SSTableBuilder } from '../../storage/sstable-builder.js';
import { pipelined } from './chunked-transfer.js';
import { compactionActorProps, type CompactionActorOptions, type CompactionEvent } from './compaction-actor.js';
import type { CompactionReply, CompactionRequest } from './messages.js';
import { GatedRunner, compact, expectSameTables, stats, until } from './testing/fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const MiB = 1024 * 1024;
const table = { blockSizeBytes: 4096, blockRestartInterval: 16, bloomBitsPerKey: 10 };

/** Three overlapping tables of about `perTable` bytes each (pseudo-random values, some deletions). */
function bigInput(perTable: number): CompactionJobInput {
  let x = 12345;
  const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0), x);
  const inputs: Uint8Array[] = [];
  for (let t = 0; t < 3; t++) {
    const b = new SSTableBuilder(table);
    for (let k = 0; b.estimatedBytes < perTable; k += 1 + t) {
      const key = Buffer.from(`key${String(k).padStart(8, '0')}`);
      if (t === 2 && k % 11 === 0) {
        b.add(key, 1_000_000 * (t + 1) + k, ValueType.Deletion, Buffer.alloc(0));
        continue;
      }
      const v = Buffer.alloc(200);
      for (let i = 0; i < v.length; i += 4) v.writeUInt32LE(rnd(), i);
      b.add(key, 1_000_000 * (t + 1) + k, ValueType.Value, v);
    }
    inputs.push(Uint8Array.from(b.finish().bytes));
  }
  return { inputs, targetFileSizeBytes: 2 * MiB, dropTombstones: true, table };
}

const sizeOf = (i: CompactionJobInput) => i.inputs.reduce((n, b) => n + b.byteLength, 0);





/** Two actor systems in this process joined only by the TCP transport on loopback. */
async function tcpPair() {
  const make = (name: string) => {
    const system = new ActorSystem({ name, logger: new MemoryLogger() });
    const transport = new TcpTransport({ router: new Router(system), secret: 'chunked-transfer-test', reconnectBaseMs: 10, reconnectMaxMs: 50 });
    let closed = false;
    const kill = async () => {
      if (closed) return;
      closed = true;
      await transport.close();
      system.terminate();
    };
    cleanups.push(kill);
    return { system, transport, kill };
  };
  const a = make('owner-node');
  const b = make('target-node');
  const port = await b.transport.listen();
  await expect(a.transport.dial(`127.0.0.1:${port}`).ready).resolves.toBe('target-node');
  return { a, b };
}

/** An actor standing in front of `inner` (on the target's side of the link) that lets a test tamper with what passes. */
function proxy(
  system: ActorSystem,
  inner: ActorRef<CompactionRequest>,
  path: string,
  tamper: (m: CompactionRequest, n: number) => CompactionRequest | 'drop' | { twice: CompactionRequest },
): ActorRef<CompactionRequest> {
  let n = 0;
  return system.spawn<CompactionRequest>(
    {
      create: () => ({
        receive: async (m, ctx) => {
          const t = tamper(m, n++);
          if (t === 'drop') return;
          if (m.type === 'release') return inner.tell(m);
          if ('twice' in t) await inner.ask<CompactionReply>(t.twice, { timeoutMs: 5000 });
          const msg = 'twice' in t ? t.twice : t;
          try {
            ctx.reply(await inner.ask<CompactionReply>(msg, { timeoutMs: 5000 }));
          } catch {
            /* the inner actor is gone: say nothing, like a dead node */
          }
        },
      }),
    },
    path,
  );
}

function owner(system: ActorSystem, target: ActorRef<CompactionRequest>, events: CompactionEvent[], extra: Partial<CompactionActorOptions> = {}) {
  return system.spawn(
    compactionActorProps({
      local: new InlineJobRunner(),
      node: 'owner-node',
      placement: () => ({ target, targetNode: 'target-node', timeoutMs: 10_000, predictedMs: 100 }),
      onRecord: (e) => events.push(e),
      ...extra,
    }),
    'compaction',
  );
}

describe('chunked remote compaction over TCP', () => {
  it('a 6 MiB merge (over the old 2 MiB limit, above the 4 MiB frame limit) offloaded over TCP equals the local merge byte for byte', async () => {
    const { a, b } = await tcpPair();
    const input = bigInput(2 * MiB);
    const bytes = sizeOf(input);
    expect(bytes).toBeGreaterThan(6 * MiB);
    expect(bytes).toBeGreaterThan(runtimeDefaults.maxFrameBytes);
    const expected = runCompactionJob(bigInput(2 * MiB));
    b.system.spawn(compactionActorProps({ local: new InlineJobRunner(), node: 'target-node' }), 'compaction');
    const targetRef = a.system.ref<CompactionRequest>({ system: 'target-node', path: 'compaction' });
    const events: CompactionEvent[] = [];
    const o = owner(a.system, targetRef, events);
    const r = await compact(o, input);
    expect(r.ranOn).toBe('target-node');
    expectSameTables(r.output, expected);
    expect(r.output.tables.length).toBeGreaterThan(1);
    expect(events.map((e) => e.outcome)).toEqual(['remote']);
    const s = await stats(o);
    expect(s.bytesSent).toBe(bytes);
    expect(s.chunksSent).toBeGreaterThanOrEqual(7); // 1 MiB chunks
    expect(s.bytesReceived).toBe(expected.tables.reduce((n, t) => n + t.bytes.byteLength, 0));
    // The target freed everything it held once the owner released the job.
    await until(async () => (await stats(targetRef)).heldForOthersBytes === 0, 'the target to free the job');
    const t = await stats(targetRef);
    expect(t.servedForOthers).toBe(1);
    expect(t.chunksReceived).toBe(s.chunksSent);
    expect(t.staleMessages).toBe(0);
  }, 30_000);

  it('a chunk corrupted in transit is detected by the target (file CRC); the job falls back and is merged locally', async () => {
    const { a, b } = await tcpPair();
    const real = b.system.spawn(compactionActorProps({ local: new InlineJobRunner(), node: 'target-node' }), 'real');
    proxy(b.system, real, 'compaction', (m) => {
      if (m.type !== 'chunk' || m.file !== 1 || m.offset !== 0) return m;
      const bytes = Uint8Array.from(m.bytes);
      bytes[5000]! ^= 0x04;
      return { ...m, bytes };
    });
    const events: CompactionEvent[] = [];
    const o = owner(a.system, a.system.ref({ system: 'target-node', path: 'compaction' }), events, { transfer: { chunkBytes: 256 * 1024 } });
    const r = await compact(o, bigInput(700 * 1024));
    expect(r.ranOn).toBe('owner-node');
    expectSameTables(r.output, runCompactionJob(bigInput(700 * 1024)));
    expect(events.map((e) => [e.outcome, e.fallbackReason])).toEqual([['fallback', 'corrupt']]);
    const t = await stats(real);
    expect(t.servedForOthers).toBe(0);
    expect(t.heldForOthersBytes).toBe(0); // dropped when its CRC failed
  }, 30_000);

  it('target killed mid-transfer: the owner falls back after the chunk timeout, answers once, installs nothing twice', async () => {
    const { a, b } = await tcpPair();
    const real = b.system.spawn(compactionActorProps({ local: new InlineJobRunner(), node: 'target-node' }), 'real');
    let killed = false;
    proxy(b.system, real, 'compaction', (m) => {
      if (m.type === 'chunk' && m.offset >= 256 * 1024 && !killed) {
        killed = true;
        void b.kill(); // the whole target node goes away with the job half received
        return 'drop';
      }
      return m;
    });
    const events: CompactionEvent[] = [];
    const answers: CompactionReply[] = [];
    const o = owner(a.system, a.system.ref({ system: 'target-node', path: 'compaction' }), events, {
      transfer: { chunkBytes: 128 * 1024, chunkTimeoutMs: 400 },
    });
    const input = bigInput(700 * 1024);
    const t0 = Date.now();
    const r = await compact(o, input);
    answers.push(r);
    expect(killed).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.ranOn).toBe('owner-node');
    expectSameTables(r.output, runCompactionJob(bigInput(700 * 1024)));
    await new Promise((res) => setTimeout(res, 300)); // any late message of the dead attempt
    expect(events.map((e) => [e.outcome, e.fallbackReason])).toEqual([
      ['timed-out', undefined],
      ['fallback', 'timeout'],
    ]);
    const s = await stats(o);
    expect([s.localJobs, s.remoteJobs, s.remoteFallbacks]).toEqual([1, 0, 1]);
    expect(answers).toHaveLength(1);
  }, 30_000);

  it('duplicate chunks are acknowledged once, late chunks after the job are ignored', async () => {
    const { a, b } = await tcpPair();
    const real = b.system.spawn(compactionActorProps({ local: new InlineJobRunner(), node: 'target-node' }), 'real');
    let kept: CompactionRequest | undefined;
    proxy(b.system, real, 'compaction', (m) => {
      if (m.type === 'chunk' && m.file === 0 && m.offset === 0) {
        kept = { ...m, bytes: Uint8Array.from(m.bytes) };
        return { twice: m };
      }
      return m;
    });
    const events: CompactionEvent[] = [];
    const o = owner(a.system, a.system.ref({ system: 'target-node', path: 'compaction' }), events, { transfer: { chunkBytes: 256 * 1024 } });
    const r = await compact(o, bigInput(600 * 1024));
    expect(r.ranOn).toBe('target-node');
    expectSameTables(r.output, runCompactionJob(bigInput(600 * 1024)));
    await until(async () => (await stats(real)).heldForOthersBytes === 0, 'release');
    // The same chunk again, after the owner released the job: answered UNKNOWN_JOB, nothing re-created.
    const late = await real.ask<CompactionReply>(kept!, { timeoutMs: 5000 });
    expect(late).toMatchObject({ ok: false, code: 'UNKNOWN_JOB' });
    const t = await stats(real);
    expect(t.duplicateChunks).toBe(1);
    expect(t.staleMessages).toBe(1);
    expect(t.heldForOthersBytes).toBe(0);
    expect(t.servedForOthers).toBe(1);
  }, 30_000);
});


describe('target memory bound', () => {
  it('a target refuses a job that would take it over its bound for others; the owner merges locally', async () => {
    const system = new ActorSystem({ name: 'one', logger: new MemoryLogger() });
    cleanups.push(() => system.terminate());
    const input = bigInput(100 * 1024);
    const size = sizeOf(input);
    const gated = new GatedRunner();
    // Room for one job (a job reserves twice its input), not two.
    const target = system.spawn(compactionActorProps({ local: gated, node: 'target', maxHeldForOthersBytes: 3 * size }), 'target');
    const e1: CompactionEvent[] = [];
    const e2: CompactionEvent[] = [];
    const mk = (name: string, events: CompactionEvent[]) =>
      system.spawn(
        compactionActorProps({ local: new InlineJobRunner(), node: name, placement: () => ({ target, targetNode: 'target', timeoutMs: 10_000 }), onRecord: (e) => events.push(e) }),
        name,
      );
    const first = compact(mk('o1', e1), input);
    await until(() => gated.started === 1, 'the first job to be merging');
    expect((await stats(target)).heldForOthersBytes).toBe(2 * size);
    const second = await compact(mk('o2', e2), bigInput(100 * 1024));
    expect(second.ranOn).toBe('o2');
    expect(e2.map((e) => e.fallbackReason)).toEqual(['busy']);
    gated.release();
    expect((await first).ranOn).toBe('target');
    const t = await stats(target);
    expect(t.rejectedMemory).toBe(1);
    expect(t.servedForOthers).toBe(1);
    await until(async () => (await stats(target)).heldForOthersBytes === 0, 'release');

    // A single job larger than the whole bound is refused outright.
    const tiny = system.spawn(compactionActorProps({ local: new InlineJobRunner(), node: 'tiny', maxHeldForOthersBytes: size }), 'tiny');
    const e3: CompactionEvent[] = [];
    const o3 = system.spawn(
      compactionActorProps({ local: new InlineJobRunner(), node: 'o3', placement: () => ({ target: tiny, targetNode: 'tiny' }), onRecord: (e) => e3.push(e) }),
      'o3',
    );
    expect((await compact(o3, bigInput(100 * 1024))).ranOn).toBe('o3');
    expect(e3.map((e) => e.fallbackReason)).toEqual(['busy']);
    expect((await stats(tiny)).rejectedMemory).toBe(1);
  }, 30_000);

  it('pipelined() keeps at most `window` sends in flight and stops at the first failure', async () => {
    let inFlight = 0;
    let peak = 0;
    const sent: number[] = [];
    await pipelined(20, 3, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 1 + (i % 3)));
      sent.push(i);
      inFlight--;
    });
    expect(peak).toBe(3);
    expect(sent.sort((x, y) => x - y)).toEqual([...Array(20).keys()]);
    const issued: number[] = [];
    await expect(
      pipelined(20, 2, async (i) => {
        issued.push(i);
        if (i === 3) throw new Error('boom');
        await new Promise((r) => setTimeout(r, 1));
      }),
    ).rejects.toThrow('boom');
    expect(issued.length).toBeLessThan(8);
  });
});
