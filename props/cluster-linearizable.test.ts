/**
 * Whole EdgeKV clusters in the simulator (groups of Raft members and their
 * gateways, all booted with the edge boot functions), under random local and
 * global workloads sent through the front doors of random nodes, with
 * message drops, duplicates and delays on every link (gateway to gateway
 * too), partitions, edge-node crashes and restarts, gateway faults (a
 * gateway cut off from the other gateways, a one-way cut, a very lossy
 * gateway link: a live gateway falsely suspected, two gateways believing at
 * once that they own the same ids), and in some runs a gateway joining,
 * leaving or failing mid-workload (so ranges move between groups while
 * clients write). Every history must be
 * linearizable per key (local keys are distinct objects per group), and a
 * final read of every key after the faults heal must see every acknowledged
 * write (the final reads are part of the checked history).
 *
 * A write that fails is retried once with the same WriteId through another
 * node; if that fails too its outcome is unknown and it stays pending.
 *
 * PROPS_RUNS overrides the number of schedules; a failure prints the seed and
 * the command that replays it (PROPS_SEED, PROPS_PATH). PROPS_VERBOSE=1 prints
 * coverage counts and the slowest schedules; PROPS_LOG_SCENARIOS=1 prints each
 * schedule as it starts (to find one that runs long).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Scope } from '../api/types.js';
import { SimCluster } from '../actors/edge/testing/sim-cluster.js';
import type { IdSpan } from '../actors/edge/keyspace.js';
import { checkEvents, HistoryRecorder, kv, kvModel, type KvInput, type KvOutput } from './linearizability/index.js';
import { checkProperty } from './support.js';

const FILE = 'props/cluster-linearizable.test.ts';
const RUNS = 100;
/** About 2 s per schedule on a loaded box is ample; long runs scale. */
const TIMEOUT_MS = Math.max(90_000, Number(process.env.PROPS_RUNS ?? RUNS) * 3_000);
const KEYS = ['a', 'b', 'c'];
/** The client's deadline per call (the API's default). */
const CALL_MS = 5_000;

type OpKind = 'put' | 'get' | 'delete' | 'range' | 'deleteRange';
interface ClientOp {
  kind: OpKind;
  scope: Scope;
  key: string;
  /** Index into the cluster's edge nodes (modulo their count). */
  node: number;
  pauseMs: number;
}

type Fault =
  | { kind: 'crash'; node: number; atMs: number; downMs: number }
  | { kind: 'isolate'; node: number; atMs: number; forMs: number }
  /** Gateway `gw` cut off from the other gateways (its group and the edge nodes still reach it). */
  | { kind: 'gw-partition'; gw: number; atMs: number; forMs: number }
  /** One direction of a gateway-to-gateway link cut (an asymmetric partition). */
  | { kind: 'gw-oneway'; gw: number; to: number; atMs: number; forMs: number }
  /** A gateway-to-gateway link (both directions) drops and duplicates much more than the rest. */
  | { kind: 'gw-lossy'; gw: number; to: number; dropRate: number; atMs: number; forMs: number };

interface Scenario {
  seed: number;
  dropRate: number;
  maxDelayMs: number;
  clients: ClientOp[][];
  faults: Fault[];
  /** none; a third group's gateway joins mid-workload; or g2's gateway leaves mid-workload. */
  ringChange: { kind: 'none' } | { kind: 'join' | 'leave' | 'fail'; atMs: number };
  /** Snapshot and compact every this many applied entries (small: InstallSnapshot and restarts from snapshots under faults). */
  snapshotEvery: number;
}

const opArb: fc.Arbitrary<ClientOp> = fc.record({
  kind: fc.constantFrom<OpKind>('put', 'put', 'get', 'get', 'delete', 'range', 'deleteRange'),
  scope: fc.constantFrom<Scope>('local', 'global', 'global'),
  key: fc.constantFrom(...KEYS),
  node: fc.nat({ max: 8 }),
  pauseMs: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 600 })),
});

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ kind: fc.constant('crash' as const), node: fc.nat({ max: 8 }), atMs: fc.integer({ min: 0, max: 6000 }), downMs: fc.integer({ min: 200, max: 4000 }) }),
  fc.record({ kind: fc.constant('isolate' as const), node: fc.nat({ max: 8 }), atMs: fc.integer({ min: 0, max: 6000 }), forMs: fc.integer({ min: 200, max: 4000 }) }),
  fc.record({ kind: fc.constant('gw-partition' as const), gw: fc.nat({ max: 2 }), atMs: fc.integer({ min: 0, max: 6000 }), forMs: fc.integer({ min: 500, max: 6000 }) }),
  fc.record({ kind: fc.constant('gw-oneway' as const), gw: fc.nat({ max: 2 }), to: fc.nat({ max: 1 }), atMs: fc.integer({ min: 0, max: 6000 }), forMs: fc.integer({ min: 500, max: 6000 }) }),
  fc.record({
    kind: fc.constant('gw-lossy' as const),
    gw: fc.nat({ max: 2 }),
    to: fc.nat({ max: 1 }),
    dropRate: fc.constantFrom(0.2, 0.4, 0.6),
    atMs: fc.integer({ min: 0, max: 6000 }),
    forMs: fc.integer({ min: 500, max: 6000 }),
  }),
);

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  dropRate: fc.constantFrom(0, 0.01, 0.03),
  maxDelayMs: fc.integer({ min: 1, max: 15 }),
  clients: fc.array(fc.array(opArb, { minLength: 4, maxLength: 12 }), { minLength: 2, maxLength: 4 }),
  faults: fc.array(faultArb, { maxLength: 3 }),
  ringChange: fc.oneof(
    fc.constant({ kind: 'none' as const }),
    fc.record({ kind: fc.constantFrom('join' as const, 'leave' as const, 'fail' as const), atMs: fc.integer({ min: 0, max: 1500 }) }),
  ),
  snapshotEvery: fc.constantFrom(10_000, 4),
});

/** Do two sets of ring-id spans share an id? */
const overlaps = (a: readonly IdSpan[], b: readonly IdSpan[]): boolean => a.some((x) => b.some((y) => x.lo <= y.hi && y.lo <= x.hi));

const totals = { ops: 0, acked: 0, moves: 0, crashes: 0, snapshots: 0, gatewayFaults: 0, overlappingBeliefs: 0 };

/** The checker's key: local keys are per group, global keys are one object cluster-wide. */
const modelKey = (scope: Scope, group: string, key: string): string => (scope === 'local' ? `L:${group}:${key}` : `G:${key}`);

/** The slowest schedules (wall ms, virtual ms), printed with PROPS_VERBOSE. */
const slowest: { seed: number; wallMs: number; virtualMs: number; ringChange: string; faults: string }[] = [];

async function runScenario(s: Scenario): Promise<void> {
  const wallStart = Date.now();
  if (process.env.PROPS_LOG_SCENARIOS) console.error(`scenario ${JSON.stringify(s)}`);
  try {
    await runScenarioTimed(s);
  } finally {
    if (process.env.PROPS_VERBOSE) {
      slowest.push({ seed: s.seed, wallMs: Date.now() - wallStart, virtualMs: Math.round(lastVirtualMs), ringChange: s.ringChange.kind, faults: s.faults.map((f) => f.kind).join(',') });
      slowest.sort((a, b) => b.wallMs - a.wallMs);
      slowest.splice(5);
    }
  }
}

let lastVirtualMs = 0;

async function runScenarioTimed(s: Scenario): Promise<void> {
  const c = new SimCluster({
    seed: s.seed,
    groups: [3, 3, 3],
    fsyncMs: 1,
    snapshotEveryEntries: s.snapshotEvery,
    faults: { dropRate: s.dropRate, duplicateRate: s.dropRate, minDelayMs: 1, maxDelayMs: s.maxDelayMs, reorder: true },
  });
  // Gateway-to-gateway links are as lossy as the rest (drops, duplicates, delays), and the gateway faults
  // below cut or degrade them: a live gateway is falsely suspected, two gateways believe at once that they
  // own overlapping ranges and both pull. The groups' ownership (replicated state) keeps that safe.
  const gateways = c.layout.groups.map((g) => g.gateway);
  const rec = new HistoryRecorder<KvInput, KvOutput>(() => c.sim.nowMs);
  const nodes = c.nodeNames;
  const groupOf = (node: string): string => node.split('-')[0]!;
  let nextValue = 0;

  // The ring: g1 and g2 from the start; g3 joins now, or later (ringChange 'join').
  c.addGateway('g1');
  await c.sim.runFor(300);
  c.addGateway('g2', 'g1-gw');
  let live = ['g1-gw', 'g2-gw'];
  if (s.ringChange.kind !== 'join') {
    c.addGateway('g3', 'g1-gw');
    live = [...live, 'g3-gw'];
  }
  if (!(await c.sim.runUntil(() => c.ringStable(live), 60_000))) throw new Error('the initial ring did not stabilize');
  const t0 = 500;
  let changeDone: Promise<unknown> = Promise.resolve();
  if (s.ringChange.kind === 'join') {
    c.sim.schedule(t0 + s.ringChange.atMs, () => c.addGateway('g3', 'g2-gw'));
    live = [...live, 'g3-gw'];
  } else if (s.ringChange.kind === 'leave') {
    let resolveLeave!: () => void;
    changeDone = new Promise<void>((r) => (resolveLeave = r));
    c.sim.schedule(t0 + s.ringChange.atMs, () => {
      void c.gatewayHandle('g2-gw').then((h) => h.leave()).then(resolveLeave, resolveLeave);
    });
    live = live.filter((g) => g !== 'g2-gw');
  } else if (s.ringChange.kind === 'fail') {
    // g2's gateway crashes for good (its group lives on): its successor recovers the range from that group.
    c.sim.schedule(t0 + s.ringChange.atMs, () => c.sim.crash('g2-gw'));
    live = live.filter((g) => g !== 'g2-gw');
  }

  const faultsStartMs = c.sim.nowMs;
  for (const f of s.faults) {
    const node = 'node' in f ? nodes[f.node % nodes.length]! : '';
    if (f.kind === 'crash') {
      c.sim.schedule(t0 + f.atMs, () => {
        totals.crashes++;
        c.crash(node);
      });
      c.sim.schedule(t0 + f.atMs + f.downMs, () => c.restart(node));
    } else if (f.kind === 'isolate') {
      const others = c.sim.nodeNames().filter((n) => n !== node);
      c.sim.schedule(t0 + f.atMs, () => c.sim.network.partition([node], others));
      c.sim.schedule(t0 + f.atMs + f.forMs, () => c.sim.network.heal());
    } else {
      const gw = gateways[f.gw % gateways.length]!;
      const rest = gateways.filter((g) => g !== gw);
      const peer = f.kind === 'gw-partition' ? gw : rest[f.to % rest.length]!;
      c.sim.schedule(t0 + f.atMs, () => {
        totals.gatewayFaults++;
        if (f.kind === 'gw-partition') c.sim.network.partition([gw], rest);
        else if (f.kind === 'gw-oneway') c.sim.network.cutLink(gw, peer);
        else for (const [a, b] of [[gw, peer], [peer, gw]] as const) c.sim.network.setLinkFaults(a, b, { dropRate: f.dropRate, duplicateRate: f.dropRate / 2 });
      });
      c.sim.schedule(t0 + f.atMs + f.forMs, () => {
        if (f.kind === 'gw-lossy') for (const [a, b] of [[gw, peer], [peer, gw]] as const) c.sim.network.setLinkFaults(a, b, {});
        else c.sim.network.heal();
      });
    }
  }
  // Coverage: did two gateways' migrators ever believe at once that they own the same ids?
  let overlapSeen = false;
  const sampleBeliefs = (): void => {
    const ranges = [...c.migrators.entries()].filter(([g]) => c.sim.isUp(g)).map(([, m]) => m.believedRange).filter((r) => r !== undefined);
    for (let i = 0; i < ranges.length && !overlapSeen; i++) {
      for (let j = i + 1; j < ranges.length; j++) {
        if (overlaps(ranges[i]!, ranges[j]!)) {
          overlapSeen = true;
          break;
        }
      }
    }
    if (!overlapSeen) c.sim.schedule(50, sampleBeliefs);
  };
  c.sim.schedule(t0, sampleBeliefs);

  /** Runs a door call with a client-side deadline (a call to a node that crashes never answers). */
  const call = <T>(node: string, fn: (door: Awaited<ReturnType<SimCluster['door']>>) => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      c.sim.schedule(CALL_MS + 1_000, () => reject(new Error('client gave up')));
      void c.door(node).then((door) => fn(door)).then(resolve, reject);
    });

  const sleep = (ms: number): Promise<void> => new Promise((r) => c.sim.schedule(ms, r));
  const pickNode = (i: number): string => {
    for (let k = 0; k < nodes.length; k++) {
      const n = nodes[(i + k) % nodes.length]!;
      if (c.sim.isUp(n)) return n;
    }
    return nodes[i % nodes.length]!;
  };

  const runClient = async (clientNo: number, ops: ClientOp[]): Promise<void> => {
    let requestId = 0;
    for (const op of ops) {
      if (op.pauseMs > 0) await sleep(op.pauseMs);
      const node = pickNode(op.node);
      const group = groupOf(node);
      const key = Buffer.from(op.key);
      totals.ops++;
      if (op.kind === 'put' || op.kind === 'delete') {
        const id = { clientId: `c${clientNo}`, requestId: ++requestId };
        const value = `v${nextValue++}`;
        const mk = modelKey(op.scope, group, op.key);
        const h = rec.invoke(clientNo, op.kind === 'put' ? kv.put(mk, value) : kv.delete(mk));
        const attempt = (n: string) =>
          call(n, (d) =>
            op.kind === 'put'
              ? d.put({ key, value: Buffer.from(value), scope: op.scope, id }, CALL_MS)
              : d.delete({ key, scope: op.scope, id }, CALL_MS),
          );
        try {
          await attempt(node);
          h.ok(kv.ok);
          totals.acked++;
        } catch {
          // Retry once with the same id through another node of the same group (local keys are the group's).
          const peers = c.layout.groups.find((g) => g.id === group)!.members;
          const other = peers.find((m) => m !== node && c.sim.isUp(m)) ?? node;
          try {
            await attempt(other);
            h.ok(kv.ok);
            totals.acked++;
          } catch {
            // Outcome unknown: stays pending (always sound).
          }
        }
      } else if (op.kind === 'get') {
        const mk = modelKey(op.scope, group, op.key);
        const h = rec.invoke(clientNo, kv.get(mk));
        try {
          const v = await call(node, (d) => d.get({ key, scope: op.scope, consistency: 'linearizable' }, CALL_MS));
          h.ok(v === undefined ? kv.notFound : kv.found(v.toString()));
          totals.acked++;
        } catch {
          // A read that failed: pending.
        }
      } else if (op.kind === 'deleteRange') {
        // Deletes the group's local keys from op.key on (one command: atomic within the group).
        const id = { clientId: `c${clientNo}`, requestId: ++requestId };
        const h = rec.invoke(clientNo, kv.deleteRange(modelKey('local', group, op.key), modelKey('local', group, 'z')));
        const attempt = (n: string) => call(n, (d) => d.rangeDelete({ start: key, end: Buffer.from('z'), scope: 'local', id }, CALL_MS));
        try {
          await attempt(node);
          h.ok(kv.ok);
          totals.acked++;
        } catch {
          const other = c.layout.groups.find((g) => g.id === group)!.members.find((m) => m !== node && c.sim.isUp(m)) ?? node;
          try {
            await attempt(other);
            h.ok(kv.ok);
            totals.acked++;
          } catch {
            // pending
          }
        }
      } else {
        // Range reads of the group's local keys (atomic within a group; global ranges are not one snapshot across groups).
        const start = modelKey('local', group, 'a');
        const end = modelKey('local', group, 'z');
        const h = rec.invoke(clientNo, kv.range(start, end));
        try {
          const entries = await call(node, async (d) => {
            const out: (readonly [string, string])[] = [];
            for await (const e of d.rangeGet({ start: Buffer.from('a'), end: Buffer.from('z'), scope: 'local', consistency: 'linearizable', limit: 0 }, CALL_MS)) {
              out.push([modelKey('local', group, e.key.toString()), e.value.toString()]);
            }
            return out;
          });
          h.ok(kv.entries(...entries));
          totals.acked++;
        } catch {
          // pending
        }
      }
    }
  };

  await c.sim.runFor(t0);
  const workload = Promise.all(s.clients.map((ops, i) => runClient(i, ops)));
  const done = await c.run(Promise.all([workload, changeDone]), 600_000);
  if (!done.ok) throw done.error;

  // Let every scheduled fault play out, heal, restart everything, let the ring settle, then read every key once more.
  const faultsEndMs = Math.max(0, ...s.faults.map((f) => t0 + f.atMs + (f.kind === 'crash' ? f.downMs : f.forMs)));
  await c.sim.runFor(Math.max(0, faultsStartMs + faultsEndMs - c.sim.nowMs) + 1);
  c.sim.network.heal();
  c.sim.network.faults = { ...c.sim.network.faults, dropRate: 0, duplicateRate: 0 };
  for (const a of gateways) for (const b of gateways) if (a !== b) c.sim.network.setLinkFaults(a, b, {});
  if (overlapSeen) totals.overlappingBeliefs++;
  for (const n of nodes) c.restart(n);
  if (!(await c.sim.runUntil(() => c.ringStable(live), 120_000))) throw new Error('the ring did not stabilize after the workload');
  await c.sim.runFor(2_000);
  for (const key of KEYS) {
    for (const g of c.layout.groups) {
      const h = rec.invoke('final', kv.get(modelKey('local', g.id, key)));
      const r = await c.run(call(g.members[0]!, (d) => d.get({ key: Buffer.from(key), scope: 'local', consistency: 'linearizable' }, CALL_MS)));
      if (!r.ok) throw new Error(`final local read of ${key} in ${g.id} failed: ${String(r.error)}`);
      h.ok(r.value === undefined ? kv.notFound : kv.found(r.value.toString()));
    }
    const h = rec.invoke('final', kv.get(modelKey('global', '', key)));
    const r = await c.run(call(nodes[0]!, (d) => d.get({ key: Buffer.from(key), scope: 'global', consistency: 'linearizable' }, CALL_MS)));
    if (!r.ok) throw new Error(`final global read of ${key} failed: ${String(r.error)}`);
    h.ok(r.value === undefined ? kv.notFound : kv.found(r.value.toString()));
  }
  totals.moves += [...c.migrators.values()].reduce((n, m) => n + m.movesCompleted, 0);
  totals.snapshots += c.snapshotsInstalled();

  lastVirtualMs = c.sim.nowMs;
  const result = checkEvents(kvModel, rec.events(), { timeoutMs: 10_000 });
  if (!result.ok) throw new Error(result.verdict === 'unknown' ? `checker gave up: ${result.reason}` : result.explanation);
}

describe('EdgeKV cluster histories are linearizable under faults and ring changes', () => {
  it(
    'random local/global workloads through random front doors',
    async () => {
      totals.ops = totals.acked = totals.moves = totals.crashes = totals.snapshots = totals.gatewayFaults = totals.overlappingBeliefs = 0;
      await checkProperty(FILE, fc.asyncProperty(scenarioArb, (s) => runScenario(s)), RUNS);
      // A run where (almost) nothing is acknowledged proves nothing; ranges did move under load.
      expect(totals.acked).toBeGreaterThan(totals.ops / 2);
      expect(totals.moves).toBeGreaterThan(0);
      // The case this property is after happened: gateways that believed at once that they own the same ids.
      expect(totals.overlappingBeliefs).toBeGreaterThan(0);
      // InstallSnapshot happens in a few schedules per hundred (edge-cluster.test.ts covers it deterministically).
      if (process.env.PROPS_VERBOSE) console.log('cluster property coverage', totals, 'slowest schedules', slowest);
    },
    TIMEOUT_MS,
  );
});
