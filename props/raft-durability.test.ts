/**
 * No acknowledged write is lost when the whole group loses power at once: a
 * writer keeps overwriting one key while every member is cut at a random
 * moment (keeping only what it had synced) and restarted; afterwards a
 * linearizable read must return the last acknowledged value or a later one.
 * Slow fsyncs make the window between "written" and "durable" wide, so a
 * member that acknowledged before its fsync would be caught.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestOutcomeUnknownError, RequestRejectedError } from '../actors/raft/errors.js';
import { nodeName, SimGroup } from '../actors/raft/testing/sim-group.js';
import { checkEvents, HistoryRecorder, kv, kvModel, type KvInput, type KvOutput } from './linearizability/index.js';
import { checkProperty } from './support.js';

const FILE = 'props/raft-durability.test.ts';

interface Schedule {
  seed: number;
  size: 3 | 5;
  fsyncMs: number;
  crashAtMs: number;
  downMs: number;
  writers: number;
}

const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  size: fc.constantFrom(3 as const, 5 as const),
  fsyncMs: fc.integer({ min: 2, max: 30 }),
  crashAtMs: fc.integer({ min: 100, max: 1500 }),
  downMs: fc.integer({ min: 1, max: 500 }),
  writers: fc.integer({ min: 1, max: 3 }),
});

const seen = { acked: 0, crashesMidWrite: 0 };

async function run(s: Schedule): Promise<void> {
  const g = new SimGroup({ seed: s.seed, size: s.size, fsyncMs: s.fsyncMs, faults: { minDelayMs: 1, maxDelayMs: 3 } });
  await g.sim.runFor(2000);
  const rec = new HistoryRecorder<KvInput, KvOutput>(() => g.sim.nowMs);
  const endAt = g.sim.nowMs + s.crashAtMs + s.downMs + 500;
  let inFlight = 0;
  g.sim.schedule(s.crashAtMs, () => {
    if (inFlight > 0) seen.crashesMidWrite++;
    for (const id of g.ids) g.crash(id);
  });
  g.sim.schedule(s.crashAtMs + s.downMs, () => {
    for (const id of g.ids) if (!g.sim.isUp(nodeName(id))) g.restart(id);
  });
  let n = 0;
  const writer = async (w: number): Promise<void> => {
    const c = g.client({ askTimeoutMs: 800, maxAttempts: 3, retryBackoffMs: 100 });
    while (g.sim.nowMs < endAt) {
      const value = `w${w}-${n++}`;
      const call = rec.invoke(`writer${w}`, kv.put('k', value));
      inFlight++;
      try {
        await c.put('k', new Uint8Array(Buffer.from(value)));
        call.ok(kv.ok);
        seen.acked++;
      } catch (e) {
        if (!(e instanceof RequestOutcomeUnknownError) && !(e instanceof RequestRejectedError)) throw e;
        if (e instanceof RequestRejectedError) return;
      } finally {
        inFlight--;
      }
    }
  };
  const done = await g.run(Promise.all(Array.from({ length: s.writers }, (_, w) => writer(w))), 600_000);
  if (!done.ok) throw done.error;
  await g.sim.runFor(2000);
  const reader = g.client({ askTimeoutMs: 2000, maxAttempts: 20 });
  const call = rec.invoke('reader', kv.get('k'));
  const r = await g.run(reader.get('k'), 600_000);
  if (!r.ok) throw new Error(`final read failed: ${String(r.error)}`);
  call.ok(r.value === null ? kv.notFound : kv.found(Buffer.from(r.value).toString()));
  const result = checkEvents(kvModel, rec.events(), { timeoutMs: 10_000 });
  if (!result.ok) throw new Error(result.verdict === 'unknown' ? `checker gave up: ${result.reason}` : result.explanation);
}

describe('a whole-group power cut loses no acknowledged write', () => {
  it('3 and 5 members, slow fsync', async () => {
    seen.acked = seen.crashesMidWrite = 0;
    await checkProperty(FILE, fc.asyncProperty(scheduleArb, run), 200);
    expect(seen.acked).toBeGreaterThan(0);
    // Most cuts must land while a write is in flight, or the property tests little.
    expect(seen.crashesMidWrite).toBeGreaterThan(0);
  });
});
