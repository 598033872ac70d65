/**
 * The stale-leader trap, aimed at directly: the leader is cut off from the
 * other members while one client keeps reading from it and another keeps
 * writing through the rest of the group. Every read the old leader answers
 * must still be linearizable: with safe ReadIndex it cannot answer at all
 * without a quorum; with lease reads it may answer only while no other
 * leader can exist.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestOutcomeUnknownError, RequestRejectedError } from '../actors/raft/errors.js';
import { nodeName, SimGroup } from '../actors/raft/testing/sim-group.js';
import { checkEvents, HistoryRecorder, kv, kvModel, type KvInput, type KvOutput } from './linearizability/index.js';
import { checkProperty } from './support.js';

const FILE = 'props/raft-stale-reads.test.ts';

interface Schedule {
  seed: number;
  isolateAfterMs: number;
  isolateForMs: number;
  readPauseMs: number;
  writePauseMs: number;
}

const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  isolateAfterMs: fc.integer({ min: 0, max: 500 }),
  isolateForMs: fc.integer({ min: 1500, max: 4000 }),
  readPauseMs: fc.integer({ min: 20, max: 200 }),
  writePauseMs: fc.integer({ min: 20, max: 200 }),
});

const served = { oldLeaderReads: 0 };

async function run(s: Schedule, readOnly: 'safe' | 'leaseBased'): Promise<void> {
  const g = new SimGroup({ seed: s.seed, size: 3, fsyncMs: 1, raft: { readOnly }, faults: { minDelayMs: 1, maxDelayMs: 5 } });
  await g.sim.runFor(2000);
  const leader = g.leaderNow();
  if (leader === undefined) return;
  const others = g.ids.filter((id) => id !== leader);
  const rec = new HistoryRecorder<KvInput, KvOutput>(() => g.sim.nowMs);
  const clock = g.sim.node('client')!.system.clock;
  const sleep = (ms: number): Promise<void> => new Promise((r) => clock.setTimeout(r, ms));
  const endAt = g.sim.nowMs + s.isolateAfterMs + s.isolateForMs + 1000;

  g.sim.schedule(s.isolateAfterMs, () => g.sim.network.partition([nodeName(leader)], others.map(nodeName)));
  g.sim.schedule(s.isolateAfterMs + s.isolateForMs, () => g.sim.network.heal());

  const reader = async (): Promise<void> => {
    const c = g.client({ askTimeoutMs: 300, maxAttempts: 1 }, [leader]);
    while (g.sim.nowMs < endAt) {
      const call = rec.invoke('reader', kv.get('k'));
      try {
        const v = await c.get('k');
        call.ok(v === null ? kv.notFound : kv.found(Buffer.from(v).toString()));
        served.oldLeaderReads++;
      } catch (e) {
        if (!(e instanceof RequestOutcomeUnknownError) && !(e instanceof RequestRejectedError)) throw e;
      }
      await sleep(s.readPauseMs);
    }
  };
  const writer = async (): Promise<void> => {
    const c = g.client({ askTimeoutMs: 1000, maxAttempts: 4 }, others);
    for (let i = 0; g.sim.nowMs < endAt; i++) {
      const value = `w${i}`;
      const call = rec.invoke('writer', kv.put('k', value));
      try {
        await c.put('k', new Uint8Array(Buffer.from(value)));
        call.ok(kv.ok);
      } catch (e) {
        if (!(e instanceof RequestOutcomeUnknownError) && !(e instanceof RequestRejectedError)) throw e;
        return;
      }
      await sleep(s.writePauseMs);
    }
  };
  const r = await g.run(Promise.all([reader(), writer()]), 600_000);
  if (!r.ok) throw r.error;
  const result = checkEvents(kvModel, rec.events(), { timeoutMs: 10_000 });
  if (!result.ok) throw new Error(result.verdict === 'unknown' ? `checker gave up: ${result.reason}` : result.explanation);
}

describe('a leader cut off from its group serves no stale reads', () => {
  it('safe ReadIndex', async () => {
    served.oldLeaderReads = 0;
    await checkProperty(FILE, fc.asyncProperty(scheduleArb, (s) => run(s, 'safe')), 25);
    expect(served.oldLeaderReads).toBeGreaterThan(0);
  });

  it('lease-based reads', async () => {
    served.oldLeaderReads = 0;
    await checkProperty(FILE, fc.asyncProperty(scheduleArb, (s) => run(s, 'leaseBased')), 25);
    expect(served.oldLeaderReads).toBeGreaterThan(0);
  });
});
