/**
 * Raft groups of member actors in the runtime's simulator, under seeded
 * network faults, crashes and partitions, with clients that retry through
 * sessions. Every history must be linearizable, and a final read after the
 * faults heal must see every acknowledged write (that is part of the
 * linearizability check: the final reads come after every ack).
 *
 * PROPS_RUNS overrides the number of schedules; a failure prints the seed and
 * the command that replays it (PROPS_SEED, PROPS_PATH).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestOutcomeUnknownError, RequestRejectedError } from '../actors/raft/errors.js';
import { nodeName, SimGroup } from '../actors/raft/testing/sim-group.js';
import { checkEvents, HistoryRecorder, kv, kvModel, type KvInput, type KvOutput } from './linearizability/index.js';
import { checkProperty } from './support.js';

const FILE = 'props/raft-linearizable.test.ts';
const KEYS = ['a', 'b', 'c'];

/** `pauseMs` of client think time before the op spreads the workload over the fault schedule. */
type ClientOp = { kind: 'put' | 'get' | 'delete' | 'range'; key: string; pauseMs: number };

type Fault =
  | { kind: 'crash'; node: number; atMs: number; downMs: number }
  | { kind: 'partition'; minority: number[]; atMs: number; forMs: number }
  /** Cuts whoever leads at that moment off from the other members (clients still reach it). */
  | { kind: 'isolateLeader'; atMs: number; forMs: number }
  /** Removes `node` from the group (it may be the leader), then adds it back. */
  | { kind: 'reconfigure'; node: number; atMs: number; forMs: number }
  /** Asks whoever leads to hand leadership to `node` (TimeoutNow under load). */
  | { kind: 'transfer'; node: number; atMs: number }
  /** Power cut of the whole group at once: only what each member had synced survives. */
  | { kind: 'crashAll'; atMs: number; downMs: number };

interface Scenario {
  seed: number;
  size: 3 | 5;
  dropRate: number;
  maxDelayMs: number;
  clients: ClientOp[][];
  faults: Fault[];
  /** Clients send each request to a random member rather than the leader. */
  spread: boolean;
  /** Snapshot and compact every this many applied entries (small: InstallSnapshot under faults). */
  snapshotEvery: number;
  /** Virtual time an fsync takes: a slow disk widens every window between a write and its durability. */
  fsyncMs: number;
}

const opArb: fc.Arbitrary<ClientOp> = fc.record({
  kind: fc.constantFrom('put' as const, 'put' as const, 'get' as const, 'get' as const, 'delete' as const, 'range' as const),
  key: fc.constantFrom(...KEYS),
  pauseMs: fc.integer({ min: 0, max: 600 }),
});

function scenarioArb(size: 3 | 5): fc.Arbitrary<Scenario> {
  const node = fc.integer({ min: 1, max: size });
  const fault: fc.Arbitrary<Fault> = fc.oneof(
    fc.record({
      kind: fc.constant('crash' as const),
      node,
      atMs: fc.integer({ min: 0, max: 5000 }),
      downMs: fc.integer({ min: 100, max: 4000 }),
    }),
    fc.record({
      kind: fc.constant('partition' as const),
      minority: fc.uniqueArray(node, { minLength: 1, maxLength: Math.floor(size / 2) }),
      atMs: fc.integer({ min: 0, max: 5000 }),
      forMs: fc.integer({ min: 200, max: 4000 }),
    }),
    fc.record({
      kind: fc.constant('isolateLeader' as const),
      atMs: fc.integer({ min: 0, max: 5000 }),
      forMs: fc.integer({ min: 500, max: 4000 }),
    }),
    fc.record({
      kind: fc.constant('reconfigure' as const),
      node,
      atMs: fc.integer({ min: 0, max: 5000 }),
      forMs: fc.integer({ min: 500, max: 4000 }),
    }),
    fc.record({ kind: fc.constant('transfer' as const), node, atMs: fc.integer({ min: 0, max: 5000 }) }),
    fc.record({
      kind: fc.constant('crashAll' as const),
      atMs: fc.integer({ min: 0, max: 5000 }),
      downMs: fc.integer({ min: 10, max: 2000 }),
    }),
  );
  return fc.record({
    seed: fc.integer({ min: 1, max: 0x7fffffff }),
    size: fc.constant(size),
    dropRate: fc.constantFrom(0, 0.01, 0.05),
    maxDelayMs: fc.integer({ min: 1, max: 20 }),
    clients: fc.array(fc.array(opArb, { minLength: 3, maxLength: 10 }), { minLength: 2, maxLength: 4 }),
    faults: fc.array(fault, { maxLength: 3 }),
    spread: fc.boolean(),
    snapshotEvery: fc.constantFrom(10_000, 8),
    fsyncMs: fc.constantFrom(1, 5, 20),
  });
}

/** Totals over all schedules, so the test can insist the workload was not all timeouts. */
const totals = { ops: 0, acked: 0, snapshotsInstalled: 0, confChanges: 0 };

type RaftOverrides = ConstructorParameters<typeof SimGroup>[0]['raft'];

async function runScenario(s: Scenario, raft?: RaftOverrides): Promise<void> {
  const g = new SimGroup({
    seed: s.seed,
    size: s.size,
    raft,
    fsyncMs: s.fsyncMs,
    snapshotEveryEntries: s.snapshotEvery,
    snapshotCatchupEntries: 2,
    faults: { dropRate: s.dropRate, duplicateRate: s.dropRate, minDelayMs: 1, maxDelayMs: s.maxDelayMs, reorder: true },
  });
  const rec = new HistoryRecorder<KvInput, KvOutput>(() => g.sim.nowMs);
  let nextValue = 0;

  // Faults on the virtual clock; every fault undoes itself.
  for (const f of s.faults) {
    if (f.kind === 'crash') {
      g.sim.schedule(1000 + f.atMs, () => g.crash(f.node));
      g.sim.schedule(1000 + f.atMs + f.downMs, () => {
        if (!g.sim.isUp(nodeName(f.node))) g.restart(f.node);
      });
    } else if (f.kind === 'partition') {
      const minority = f.minority.map(nodeName);
      const majority = g.ids.map(nodeName).filter((n) => !minority.includes(n));
      g.sim.schedule(1000 + f.atMs, () => g.sim.network.partition(minority, majority));
      g.sim.schedule(1000 + f.atMs + f.forMs, () => g.sim.network.heal());
    } else if (f.kind === 'crashAll') {
      g.sim.schedule(1000 + f.atMs, () => {
        for (const id of g.ids) g.crash(id);
      });
      g.sim.schedule(1000 + f.atMs + f.downMs, () => {
        for (const id of g.ids) if (!g.sim.isUp(nodeName(id))) g.restart(id);
      });
    } else if (f.kind === 'transfer') {
      g.sim.schedule(1000 + f.atMs, () => {
        const leader = g.leaderNow();
        if (leader !== undefined && leader !== f.node) g.ref(leader).tell({ kind: 'transferLeader', to: f.node });
      });
    } else if (f.kind === 'reconfigure') {
      // Asked of whoever leads then; refused (and so skipped) if another change is pending.
      const change = (type: 'remove' | 'addVoter') => () => {
        const leader = g.leaderNow();
        if (leader !== undefined) g.ref(leader).tell({ kind: 'confChange', change: { type, nodeId: f.node } });
      };
      g.sim.schedule(1000 + f.atMs, change('remove'));
      g.sim.schedule(1000 + f.atMs + f.forMs, change('addVoter'));
    } else {
      g.sim.schedule(1000 + f.atMs, () => {
        const leader = g.leaderNow();
        if (leader === undefined) return;
        const others = g.ids.filter((id) => id !== leader).map(nodeName);
        g.sim.network.partition([nodeName(leader)], others);
      });
      g.sim.schedule(1000 + f.atMs + f.forMs, () => g.sim.network.heal());
    }
  }

  const runClient = async (clientNo: number, ops: ClientOp[]): Promise<void> => {
    const client = g.client({ askTimeoutMs: 1500, maxAttempts: 8, spreadRequests: s.spread });
    for (const op of ops) {
      if (op.pauseMs > 0) await new Promise<void>((r) => g.sim.node('client')!.system.clock.setTimeout(r, op.pauseMs));
      const input: KvInput =
        op.kind === 'put'
          ? kv.put(op.key, `v${nextValue++}`)
          : op.kind === 'get'
            ? kv.get(op.key)
            : op.kind === 'range'
              ? kv.range(op.key, 'z')
              : kv.delete(op.key);
      const call = rec.invoke(clientNo, input);
      totals.ops++;
      try {
        if (input.kind === 'put') {
          await client.put(input.key, new Uint8Array(Buffer.from(input.value)));
          call.ok(kv.ok);
        } else if (input.kind === 'delete') {
          await client.delete(input.key);
          call.ok(kv.ok);
        } else if (input.kind === 'get') {
          const v = await client.get(input.key);
          call.ok(v === null ? kv.notFound : kv.found(Buffer.from(v).toString()));
        } else if (input.kind === 'range') {
          const entries = await client.range(input.start, input.end);
          call.ok(kv.entries(...entries.map(([k, v]) => [k, Buffer.from(v).toString()] as const)));
        }
        totals.acked++;
      } catch (e) {
        // No definite answer: the write may or may not have happened. Leave it pending (always sound).
        if (!(e instanceof RequestOutcomeUnknownError) && !(e instanceof RequestRejectedError)) throw e;
        // A fresh session for the next operation, as a real client would after SESSION_EXPIRED.
        if (e instanceof RequestRejectedError) return;
      }
    }
  };

  await g.sim.runFor(1000);
  const workload = Promise.all(s.clients.map((ops, i) => runClient(i, ops)));
  const done = await g.run(workload, 600_000);
  if (!done.ok) throw done.error;

  // Heal everything and read every key once more: each acknowledged write must still be there.
  g.sim.network.heal();
  for (const id of g.ids) if (!g.sim.isUp(nodeName(id))) g.restart(id);
  await g.sim.runFor(3000);
  const finalClient = g.client({ askTimeoutMs: 2000, maxAttempts: 20 });
  for (const key of KEYS) {
    const call = rec.invoke('final', kv.get(key));
    const r = await g.run(finalClient.get(key), 600_000);
    if (!r.ok) throw new Error(`final read of ${key} failed after healing: ${String(r.error)}`);
    call.ok(r.value === null ? kv.notFound : kv.found(Buffer.from(r.value).toString()));
  }

  for (const id of g.ids) totals.snapshotsInstalled += g.store(id).snapshotsInstalled;
  totals.confChanges += Math.max(...g.ids.map((id) => g.member(id)?.confChangesApplied ?? 0));
  const result = checkEvents(kvModel, rec.events(), { timeoutMs: 10_000 });
  if (!result.ok) {
    throw new Error(result.verdict === 'unknown' ? `checker gave up: ${result.reason}` : result.explanation);
  }
}

describe('raft group histories are linearizable under faults', () => {
  it('3 members', async () => {
    totals.ops = totals.acked = totals.snapshotsInstalled = totals.confChanges = 0;
    await checkProperty(FILE, fc.asyncProperty(scenarioArb(3), (s) => runScenario(s)), 150);
    // A run where (almost) nothing is acknowledged proves nothing.
    expect(totals.acked).toBeGreaterThan(totals.ops / 2);
    // Some members fell behind a compaction and were brought back by InstallSnapshot.
    expect(totals.snapshotsInstalled).toBeGreaterThan(0);
    // And membership changed under load.
    expect(totals.confChanges).toBeGreaterThan(0);
  });

  it('3 members with lease-based reads', async () => {
    totals.ops = totals.acked = 0;
    await checkProperty(
      FILE,
      fc.asyncProperty(scenarioArb(3), (s) => runScenario(s, { readOnly: 'leaseBased' })),
      50,
    );
    expect(totals.acked).toBeGreaterThan(totals.ops / 2);
  });

  it('5 members', async () => {
    totals.ops = totals.acked = 0;
    await checkProperty(FILE, fc.asyncProperty(scenarioArb(5), (s) => runScenario(s)), 50);
    expect(totals.acked).toBeGreaterThan(totals.ops / 2);
  });
});
