import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ActorJobRunner } from '../actors/compaction/actor-job-runner.js';
import { compactionActorProps } from '../actors/compaction/compaction-actor.js';
import type { CompactionReply, CompactionRequest, CompactionStats } from '../actors/compaction/messages.js';
import { ActorSystem, MemoryLogger, type ActorRef } from '../runtime/index.js';
import { LsmEngine } from '../storage/engine.js';
import { MemoryFileSystem } from '../storage/fs-memory.js';
import { InlineJobRunner } from '../storage/job-runner.js';
import { checkProperty } from './support.js';

/**
 * Random write workloads whose merges go to targets that, per job, randomly
 * succeed, refuse (no free core), crash at the offer, crash mid-transfer
 * (after some input chunks), corrupt an input chunk in transit, deliver
 * chunks twice, fail the merge, answer the merge too late, corrupt an output
 * chunk (caught by the table's CRC), crash
 * while the outputs are fetched, replay an old chunk after the job is
 * over, or lose the first copy of a chunk, of the merge request and of a
 * fetch (the owner re-sends them): the engine always ends equal to a map of the writes (nothing lost,
 * nothing resurrected, no double install), every merge the engine started got
 * exactly one answer, every injected failure was redone locally, and the
 * targets end holding no bytes for anyone (released or expired).
 */

type Behavior =
  | 'ok'
  | 'busy'
  | 'crash-offer'
  | 'crash-transfer'
  | 'corrupt-chunk'
  | 'dup-chunks'
  | 'error'
  | 'late'
  | 'corrupt-output'
  | 'crash-fetch'
  | 'stale-replay'
  | 'lossy';
const behaviors: Behavior[] = ['ok', 'busy', 'crash-offer', 'crash-transfer', 'corrupt-chunk', 'dup-chunks', 'error', 'late', 'corrupt-output', 'crash-fetch', 'stale-replay', 'lossy'];
/** Behaviors after which the job still completes remotely ('lossy': the owner re-sends what was lost). */
const succeeding = new Set<Behavior>(['ok', 'dup-chunks', 'stale-replay', 'lossy']);

type Op = { kind: 'put'; key: number; value: number } | { kind: 'del'; key: number };
const KEYS = 300;
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), key: fc.integer({ min: 0, max: KEYS - 1 }), value: fc.nat(1_000_000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('del' as const), key: fc.integer({ min: 0, max: KEYS - 1 }) }) },
);

let sys: ActorSystem | undefined;
afterEach(() => sys?.terminate());

/** Long runs (PROPS_RUNS=10000) need more than two minutes: about 0.2 s per run, with room for a loaded host. */
const propsTimeoutMs = Math.max(120_000, Number(process.env.PROPS_RUNS ?? 0) * 1000);

/** The owner's deadline for a remote attempt, and the per-message timeout (also the targets' time to live margin). */
const REMOTE_DEADLINE_MS = 200;
const CHUNK_TIMEOUT_MS = 100;
/** An unanswered message is re-sent after this (so up to CHUNK_TIMEOUT_MS / ATTEMPT_TIMEOUT_MS sends). */
const ATTEMPT_TIMEOUT_MS = 25;
/** Small chunks, so every job is several chunks in each direction. */
const CHUNK_BYTES = 700;

interface TargetProbe {
  ref: ActorRef<CompactionRequest>;
  real: ActorRef<CompactionRequest>;
  /** Answers to chunks replayed after their job was released. */
  replayAnswers: CompactionReply[];
}

/** A target node whose behavior for each job (chosen at its offer) follows the schedule. */
function target(system: ActorSystem, name: string, next: () => Behavior, injected: Record<Behavior, number>): TargetProbe {
  const real = system.spawn(compactionActorProps({ local: new InlineJobRunner(), node: name }), `${name}-real`);
  const jobs = new Map<string, { b: Behavior; chunks: number; kept?: CompactionRequest; dead: boolean; lost: Set<string> }>();
  const replayAnswers: CompactionReply[] = [];
  const ref = system.spawn<CompactionRequest>(
    {
      create: () => ({
        receive: async (m, ctx) => {
          if (m.type === 'stats' || m.type === 'compact') return;
          const reply = ctx.reply.bind(ctx);
          const forward = async (msg: CompactionRequest) => reply(await real.ask<CompactionReply>(msg, { timeoutMs: 5000 }));
          if (m.type === 'offer') {
            const again = jobs.get(m.job);
            if (again !== undefined) {
              // A re-sent offer (the first one's answer was slow or lost): the same job, the same behavior.
              if (again.dead) return;
              if (again.b === 'busy') return reply({ ok: false, code: 'BUSY', message: 'no free core' } satisfies CompactionReply);
              return forward(m);
            }
            const b = next();
            injected[b]++;
            const j = { b, chunks: 0, dead: false, lost: new Set<string>() };
            jobs.set(m.job, j);
            if (b === 'busy') return reply({ ok: false, code: 'BUSY', message: 'no free core' } satisfies CompactionReply);
            if (b === 'crash-offer') {
              j.dead = true;
              return;
            }
            return forward(m);
          }
          const j = jobs.get(m.job);
          if (j === undefined) return forward(m);
          if (j.dead) return; // a dead node answers nothing, releases included
          if (j.b === 'lossy' && m.type !== 'release') {
            // The link loses the first copy of the first chunk, of the merge request and of the first fetch.
            const what = m.type === 'chunk' ? (j.lost.has('chunk') ? '' : 'chunk') : m.type === 'merge' ? 'merge' : m.type === 'fetch' ? (j.lost.has('fetch') ? '' : 'fetch') : '';
            if (what !== '' && !j.lost.has(what)) {
              j.lost.add(what);
              return;
            }
          }
          switch (m.type) {
            case 'chunk': {
              j.chunks++;
              if (j.b === 'crash-transfer' && j.chunks > 1) {
                j.dead = true;
                return;
              }
              if (j.b === 'corrupt-chunk' && j.chunks === 1) {
                const bytes = Uint8Array.from(m.bytes);
                bytes[bytes.length >> 1]! ^= 0x01;
                return forward({ ...m, bytes });
              }
              if (j.b === 'dup-chunks') await real.ask<CompactionReply>(m, { timeoutMs: 5000 });
              if (j.b === 'stale-replay' && j.kept === undefined) j.kept = { ...m, bytes: Uint8Array.from(m.bytes) };
              return forward(m);
            }
            case 'merge': {
              if (j.b === 'error') return reply({ ok: false, code: 'INTERNAL', message: 'merge failed' } satisfies CompactionReply);
              const r = await real.ask<CompactionReply>(m, { timeoutMs: 5000 });
              if (j.b === 'corrupt-output' && r.ok && r.type === 'merged') {
                if (r.head === undefined) {
                  // Every key was deleted: no output to corrupt, the job succeeds.
                  injected['corrupt-output']--;
                  injected.ok++;
                  return reply(r);
                }
                const head = Uint8Array.from(r.head);
                head[head.length >> 1]! ^= 0x01;
                return reply({ ...r, head }); // the first output chunk rides on the merge's answer
              }
              if (j.b === 'crash-fetch' && r.ok && r.type === 'merged' && r.tables.length <= 1 && (r.tables[0]?.length ?? 0) <= CHUNK_BYTES) {
                j.dead = true; // nothing left to fetch after the answer's own chunk: die before answering
                return;
              }
              if (j.b === 'late') {
                // Answer past the deadline without holding this actor's mailbox (the owner's merge polls and
                // later jobs' offers keep arriving meanwhile, as they do at a real target).
                setTimeout(() => reply(r), REMOTE_DEADLINE_MS + 100);
                return;
              }
              return reply(r);
            }
            case 'fetch': {
              if (j.b === 'crash-fetch') {
                j.dead = true;
                return;
              }
              return forward(m);
            }
            case 'release':
              real.tell(m);
              if (j.kept !== undefined) replayAnswers.push(await real.ask<CompactionReply>(j.kept, { timeoutMs: 5000 }));
              return;
          }
        },
      }),
    },
    name,
  );
  return { ref, real, replayAnswers };
}

describe('EdgePilot offload never loses or duplicates data', () => {
  it('random workloads, random target failures: the engine equals its model', async () => {
    await checkProperty(
      'props/pilot-offload.test.ts',
      fc.asyncProperty(
        fc.array(op, { minLength: 200, maxLength: 900 }),
        fc.array(fc.constantFrom(...behaviors), { minLength: 1, maxLength: 12 }),
        fc.array(fc.constantFrom('t1', 't2', 'local'), { minLength: 1, maxLength: 5 }),
        async (ops, schedule, placements) => {
          sys?.terminate();
          const system = new ActorSystem({ name: 'p', logger: new MemoryLogger() });
          sys = system;
          const injected = Object.fromEntries(behaviors.map((b) => [b, 0])) as Record<Behavior, number>;
          let i = 0;
          const next = () => schedule[i++ % schedule.length]!;
          const targets = { t1: target(system, 't1', next, injected), t2: target(system, 't2', next, injected) };
          let j = 0;
          const comp = system.spawn(
            compactionActorProps({
              local: new InlineJobRunner(),
              node: 'owner',
              transfer: { chunkBytes: CHUNK_BYTES, window: 2, chunkTimeoutMs: CHUNK_TIMEOUT_MS, attemptTimeoutMs: ATTEMPT_TIMEOUT_MS },
              placement: () => {
                const p = placements[j++ % placements.length]!;
                return p === 'local' ? 'local' : { target: targets[p].ref, targetNode: p, timeoutMs: REMOTE_DEADLINE_MS };
              },
            }),
            'compaction',
          );
          let compactCalls = 0;
          const inline = new InlineJobRunner();
          const runner = new ActorJobRunner(comp, inline);
          const counting = {
            flush: runner.flush.bind(runner),
            compact: (input: Parameters<typeof runner.compact>[0]) => {
              compactCalls++;
              return runner.compact(input);
            },
          };
          const engine = await LsmEngine.open({
            fs: new MemoryFileSystem(),
            dir: '/db',
            jobs: counting,
            writeBufferSizeBytes: 2048,
            level0FileNumCompactionTrigger: 2,
            maxBytesForLevelBaseBytes: 8192,
            targetFileSizeBaseBytes: 2048,
          });
          const model = new Map<string, string>();
          const keyOf = (k: number) => `key${String(k).padStart(4, '0')}`;
          try {
            for (const o of ops) {
              if (o.kind === 'put') {
                const v = `v${o.value}-${'x'.repeat(o.value % 30)}`;
                await engine.put('local', Buffer.from(keyOf(o.key)), Buffer.from(v));
                model.set(keyOf(o.key), v);
              } else {
                await engine.delete('local', Buffer.from(keyOf(o.key)));
                model.delete(keyOf(o.key));
              }
            }
            // A bad install can wedge the engine (a corrupt table poisons later merges): fail, do not hang.
            let timer: NodeJS.Timeout | undefined;
            const wedged = new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error('engine did not settle within 15 s (wedged by a bad install?)')), 15_000);
            });
            try {
              await Promise.race([(async () => {
                await engine.waitForIdle();
                await engine.compactAll();
              })(), wedged]);
            } finally {
              clearTimeout(timer);
            }
            const got = engine.scan('local').map((e) => [e.key.toString(), e.value.toString()]);
            expect(got).toEqual([...model.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
            for (let k = 0; k < KEYS; k++) expect(engine.get('local', Buffer.from(keyOf(k)))?.toString()).toBe(model.get(keyOf(k)));
            const r = await comp.ask<CompactionReply>({ type: 'stats' }, { timeoutMs: 1000 });
            const s = (r as { stats: CompactionStats }).stats;
            // Each merge the engine started was answered exactly once, from one place.
            expect(s.localJobs + s.remoteJobs).toBe(compactCalls);
            // Every failure injected into an attempt was caught and redone here.
            const ok = behaviors.filter((b) => succeeding.has(b)).reduce((n, b) => n + injected[b], 0);
            const failed = behaviors.filter((b) => !succeeding.has(b)).reduce((n, b) => n + injected[b], 0);
            // Every attempt ended exactly once; every injected failure fell back. An attempt meant to
            // succeed may still miss its deadline on a heavily loaded host: only as a timeout.
            expect(s.remoteJobs + s.remoteFallbacks).toBe(ok + failed);
            expect(s.remoteJobs).toBeLessThanOrEqual(ok);
            expect(ok - s.remoteJobs, JSON.stringify({ injected, by: s.fallbacksByReason })).toBeLessThanOrEqual(s.fallbacksByReason.timeout);
            // What the lossy link lost was re-sent, not given up on.
            if (injected.lossy > 0) expect(s.retries).toBeGreaterThan(0);
            // Chunks replayed after their job was over changed nothing: the target no longer knew the job.
            for (const t of Object.values(targets)) for (const a of t.replayAnswers) expect(a).toMatchObject({ ok: false, code: 'UNKNOWN_JOB' });
            // Targets end holding nothing: released jobs at once, a dead node's jobs when their time to live ran out.
            for (const t of Object.values(targets)) {
              const held = async () => ((await t.real.ask<CompactionReply>({ type: 'stats' }, { timeoutMs: 1000 })) as { stats: CompactionStats }).stats;
              for (let w = 0; w < 200 && (await held()).heldForOthersBytes !== 0; w++) await new Promise((res) => setTimeout(res, 10));
              expect((await held()).heldForOthersBytes).toBe(0);
            }
          } finally {
            await engine.close();
          }
        },
      ),
      12,
    );
  }, propsTimeoutMs);
});
