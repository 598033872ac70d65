import { describe, expect, it } from 'vitest';
import type { OpName, PhaseRecord, RunRecord, TickRecord } from '../records.js';
import { resolveTopology } from '../resolve.js';
import type { Topology, WorkloadSpec } from '../schema.js';
import { validateTopology } from '../validate.js';
import { WorkloadDriver, type WorkloadDriverOptions } from './driver.js';
import { latencyStats } from './stats.js';
import { FakeClock, MemoryKv, type MemoryKvCall } from './testing.js';

function topology(workload: WorkloadSpec, groups = 2, seed = 1) {
  const t: Topology = {
    name: 'driver-test',
    seed,
    groups: Array.from({ length: groups }, (_, g) => ({ id: `g${g + 1}`, nodes: [`g${g + 1}-n1`] })),
    workload,
  };
  return resolveTopology(validateTopology(t));
}

interface Run {
  records: RunRecord[];
  kv: MemoryKv;
  clock: FakeClock;
  ticks: TickRecord[];
  phases: PhaseRecord[];
  /** Calls made by the phases (after the load). */
  phaseCalls: MemoryKvCall[];
}

async function drive(
  workload: WorkloadSpec,
  o: { groups?: number; seed?: number; latency?: (kind: 'get' | 'put' | 'scan', call: number) => number; fail?: (c: MemoryKvCall) => string | undefined; extra?: Partial<WorkloadDriverOptions>; load?: boolean } = {},
): Promise<Run> {
  const clock = new FakeClock();
  const kv = new MemoryKv(clock, o.latency, o.fail);
  const records: RunRecord[] = [];
  const t = topology(workload, o.groups ?? 2, o.seed ?? 1);
  const driver = new WorkloadDriver({ topology: t, variant: 'v', seed: t.seed, clock, client: (i, g) => kv.client(i, g), sink: (r) => records.push(r), ...o.extra });
  if (o.load ?? true) await clock.drive(driver.load());
  const loadCalls = kv.calls.length;
  await clock.drive(driver.run());
  return {
    records,
    kv,
    clock,
    ticks: records.filter((r): r is TickRecord => r.type === 'tick'),
    phases: records.filter((r): r is PhaseRecord => r.type === 'phase'),
    phaseCalls: kv.calls.slice(loadCalls),
  };
}

const share = (calls: MemoryKvCall[], pred: (c: MemoryKvCall) => boolean) => calls.filter(pred).length / calls.length;

describe('WorkloadDriver: YCSB', () => {
  it('loads the records once per keyspace: the global one and each group`s local one through that group`s clients', async () => {
    const r = await drive({ kind: 'ycsb', workload: 'C', records: 50, clients: 3, duration: 1 }, { groups: 3 });
    expect(r.kv.global.size).toBe(50);
    for (const g of ['g1', 'g2', 'g3']) expect(r.kv.local.get(g)!.size).toBe(50);
    const loadCalls = r.kv.calls.slice(0, r.kv.calls.length - r.phaseCalls.length);
    expect(loadCalls.length).toBe(200);
    expect(loadCalls.every((c) => c.kind === 'put')).toBe(true);
    // Every read of the phase finds its key.
    expect(r.phaseCalls.every((c) => c.kind === 'get')).toBe(true);
  });

  it('YCSB A: half reads, half updates; globalShare respected; clients round-robin over the groups', async () => {
    const r = await drive({ kind: 'ycsb', workload: 'A', records: 200, clients: 6, duration: 5, globalShare: 0.3 }, { groups: 3 });
    const p = r.phases[0]!;
    const reads = p.byOp.read!.count;
    const updates = p.byOp.update!.count;
    expect(reads + updates).toBe(p.ops);
    expect(reads / p.ops).toBeGreaterThan(0.45);
    expect(reads / p.ops).toBeLessThan(0.55);
    expect(share(r.phaseCalls, (c) => c.scope === 'global')).toBeCloseTo(0.3, 1);
    // client i is in group g(i mod 3 + 1), and local calls of a group come only from its own clients.
    for (const c of r.phaseCalls) expect(c.group).toBe(`g${(c.client % 3) + 1}`);
    expect(new Set(r.phaseCalls.map((c) => c.client))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    // Per group: the operations of its clients, adding up to the phase's.
    expect(Object.keys(p.byGroup!)).toEqual(['g1', 'g2', 'g3']);
    for (const g of ['g1', 'g2', 'g3']) expect(p.byGroup![g]!.ops).toBe(r.phaseCalls.filter((c) => c.group === g && c.client < 6).length);
    expect(Object.values(p.byGroup!).reduce((n, g) => n + g.ops, 0)).toBe(p.ops);
    // Zipfian: some key is read far more often than a uniform choice would.
    const perKey = new Map<string, number>();
    for (const c of r.phaseCalls) if (c.scope === 'global') perKey.set(c.key, (perKey.get(c.key) ?? 0) + 1);
    const globalCalls = r.phaseCalls.filter((c) => c.scope === 'global').length;
    expect(Math.max(...perKey.values())).toBeGreaterThan((globalCalls / 200) * 5);
  });

  it.each([
    ['B', { read: 0.95, update: 0.05 }],
    ['C', { read: 1 }],
    ['D', { read: 0.95, insert: 0.05 }],
    ['E', { scan: 0.95, insert: 0.05 }],
    ['F', { read: 0.5, 'read-modify-write': 0.5 }],
  ] as const)('YCSB %s has its op mix', async (name, mix) => {
    const r = await drive({ kind: 'ycsb', workload: name, records: 100, clients: 4, duration: 4 });
    const p = r.phases[0]!;
    expect(p.workload).toBe(`ycsb-${name}`);
    expect(Object.keys(p.byOp).sort()).toEqual(Object.keys(mix).sort());
    for (const [op, want] of Object.entries(mix)) expect(p.byOp[op as OpName]!.count / p.ops).toBeCloseTo(want, 1);
    if (name === 'D' || name === 'E') {
      // Inserts add new records beyond the loaded ones.
      const size = r.kv.global.size + [...r.kv.local.values()].reduce((s, m) => s + m.size, 0);
      expect(size).toBe(300 + p.byOp.insert!.count);
    }
    if (name === 'E') expect(r.phaseCalls.filter((c) => c.kind === 'scan').length).toBe(p.byOp.scan!.count);
    if (name === 'F') {
      // A read-modify-write is a get and then a put of the same key.
      const puts = r.phaseCalls.filter((c) => c.kind === 'put').length;
      expect(puts).toBe(p.byOp['read-modify-write']!.count);
    }
  });
});

describe('WorkloadDriver: ticks and phases', () => {
  it('ticks once per second of the clock with the right counts and percentiles, and phases add up', async () => {
    // Each call takes 10 ms; the 10th, 20th, ... call 100 ms.
    const r = await drive({ kind: 'ycsb', workload: 'C', records: 10, clients: 2, duration: 3 }, { load: false, latency: (_, n) => (n % 10 === 0 ? 100 : 10) });
    expect(r.ticks.map((t) => t.t)).toEqual([0, 1, 2]);
    expect(r.ticks.every((t) => t.phase === 'ycsb-C@2' && t.variant === 'v')).toBe(true);
    const counts = r.ticks.map((t) => t.byOp.read!.count);
    // Two clients of about 1 / 19 ms each.
    for (const c of counts) {
      expect(c).toBeGreaterThan(90);
      expect(c).toBeLessThan(130);
    }
    expect(r.ticks[0]!.opsPerSec).toBe(counts[0]);
    expect(r.ticks[0]!.byOp.read!.p50Ms).toBe(10);
    expect(r.ticks[0]!.byOp.read!.p99Ms).toBe(100);
    expect(r.ticks[0]!.byOp.read!.meanMs).toBeGreaterThan(15);
    expect(r.ticks[0]!.byOp.read!.meanMs).toBeLessThan(22);
    const p = r.phases[0]!;
    expect(p.ops).toBe(counts.reduce((a, b) => a + b, 0));
    expect(p).toMatchObject({ type: 'phase', phase: 'ycsb-C@2', workload: 'ycsb-C', clients: 2, startT: 0, errors: 0 });
    expect(p.endT).toBeGreaterThanOrEqual(3);
    expect(p.endT).toBeLessThan(3.2);
    expect(p.opsPerSec).toBeCloseTo(p.ops / p.endT, 2);
    expect(p.firstError).toBeUndefined();
  });

  it('runs a sweep phase after phase, on one timeline from t=0', async () => {
    const r = await drive({ kind: 'ycsb', workload: ['A', 'C'], records: 20, clients: [1, 3], duration: '2s' });
    expect(r.phases.map((p) => p.phase)).toEqual(['ycsb-A@1', 'ycsb-A@3', 'ycsb-C@1', 'ycsb-C@3']);
    for (let i = 1; i < r.phases.length; i++) expect(r.phases[i]!.startT).toBeGreaterThanOrEqual(r.phases[i - 1]!.endT);
    expect(r.phases[0]!.startT).toBe(0);
    for (const p of r.phases) {
      const ticks = r.ticks.filter((t) => t.phase === p.phase);
      expect(ticks.length).toBe(2);
      expect(ticks[0]!.t).toBeCloseTo(p.startT, 3);
      expect(ticks.reduce((s, t) => s + Object.values(t.byOp).reduce((a, b) => a + b.count, 0), 0)).toBe(p.ops);
    }
    // More clients, more throughput (the target takes constant time per call).
    expect(r.phases[1]!.opsPerSec).toBeGreaterThan(2.5 * r.phases[0]!.opsPerSec);
    // Records in order: a phase's ticks, then its phase record.
    expect(r.records.map((x) => x.type).slice(0, 3)).toEqual(['tick', 'tick', 'phase']);
  });

  it('counts errors per op type, keeps going, and records the first error message', async () => {
    const r = await drive({ kind: 'ycsb', workload: 'A', records: 20, clients: 2, duration: 2 }, { fail: (c) => (c.kind === 'put' && c.atMs >= 500 && c.atMs < 1000 ? 'node unavailable' : undefined) });
    const p = r.phases[0]!;
    expect(p.byOp.update!.errors).toBeGreaterThan(5);
    expect(p.byOp.read!.errors).toBe(0);
    expect(p.errors).toBe(p.byOp.update!.errors);
    expect(p.firstError).toBe('update: node unavailable');
    expect(r.ticks[0]!.errorsPerSec).toBe(p.errors);
    expect(r.ticks[1]!.errorsPerSec).toBe(0);
    // The loop went on: updates succeed again after the fault.
    expect(r.ticks[1]!.byOp.update!.count).toBeGreaterThan(10);
  });
});

describe('WorkloadDriver: db_bench-style kinds', () => {
  it('fillrandom: random puts of 16-byte keys across the key space', async () => {
    const r = await drive({ kind: 'fillrandom', keys: 1000, clients: 4, duration: 2, valueBytes: 64 });
    expect(r.kv.calls.length).toBe(r.phaseCalls.length); // no preload
    expect(r.phaseCalls.every((c) => c.kind === 'put' && c.key.length === 16 && Number(c.key) < 1000)).toBe(true);
    expect(Object.keys(r.phases[0]!.byOp)).toEqual(['put']);
    expect([...r.kv.global.values()][0]!.length).toBe(64);
    // Uniform over the key space: most keys of the global keyspace were written.
    expect(r.kv.global.size).toBeGreaterThan(600);
  });

  it('readwhilewriting: one writer, the others read keys already written', async () => {
    const r = await drive({ kind: 'readwhilewriting', keys: 100_000, clients: 4, duration: 2, globalShare: 1 });
    const writer = r.phaseCalls.filter((c) => c.client === 0);
    const readers = r.phaseCalls.filter((c) => c.client !== 0);
    expect(writer.every((c) => c.kind === 'put')).toBe(true);
    expect(readers.every((c) => c.kind === 'get')).toBe(true);
    const written = new Set(r.kv.calls.filter((c) => c.kind === 'put').map((c) => c.key));
    expect(readers.every((c) => written.has(c.key))).toBe(true);
    // A small preload of the key space came first.
    expect(r.kv.calls.length - r.phaseCalls.length).toBe(1000);
  });

  it('readwhilewriting with one client alternates puts and gets', async () => {
    const r = await drive({ kind: 'readwhilewriting', keys: 500, clients: 1, duration: 1 });
    const kinds = r.phaseCalls.map((c) => c.kind);
    expect(kinds.slice(0, 6)).toEqual(['put', 'get', 'put', 'get', 'put', 'get']);
  });

  it('mixgraph: about 83% get, 14% put, 3% seek of up to 10 keys, skewed keys', async () => {
    const r = await drive({ kind: 'mixgraph', keys: 5000, clients: 8, duration: 5 });
    const p = r.phases[0]!;
    expect(p.byOp.get!.count / p.ops).toBeCloseTo(0.83, 1);
    expect(p.byOp.put!.count / p.ops).toBeCloseTo(0.14, 1);
    expect(p.byOp.seek!.count / p.ops).toBeGreaterThan(0.015);
    expect(p.byOp.seek!.count / p.ops).toBeLessThan(0.05);
    const perKey = new Map<string, number>();
    for (const c of r.phaseCalls) perKey.set(c.key, (perKey.get(c.key) ?? 0) + 1);
    expect(Math.max(...perKey.values())).toBeGreaterThan((r.phaseCalls.length / 5000) * 20);
  });
});

describe('WorkloadDriver: determinism and stopping', () => {
  it('the same seed gives the same records; another seed does not', async () => {
    const w: WorkloadSpec = { kind: 'ycsb', workload: ['A', 'D'], records: 100, clients: [1, 4], duration: 2 };
    const latency = (_: string, n: number) => 1 + ((n * 7919) % 13);
    const a = await drive(w, { latency, seed: 5 });
    const b = await drive(w, { latency, seed: 5 });
    const c = await drive(w, { latency, seed: 6 });
    expect(JSON.stringify(b.records)).toBe(JSON.stringify(a.records));
    expect(b.kv.calls).toEqual(a.kv.calls);
    expect(c.kv.calls).not.toEqual(a.kv.calls);
  });

  it('stopped() ends the phase early and skips the rest', async () => {
    const clock = new FakeClock();
    const kv = new MemoryKv(clock);
    const records: RunRecord[] = [];
    const t = topology({ kind: 'ycsb', workload: 'C', records: 10, clients: [2, 4], duration: 10 });
    const driver = new WorkloadDriver({ topology: t, variant: 'v', seed: 1, clock, client: (i, g) => kv.client(i, g), sink: (r) => records.push(r), stopped: () => clock.nowMs >= 2500 });
    await clock.drive(driver.run());
    const phases = records.filter((r): r is PhaseRecord => r.type === 'phase');
    const ticks = records.filter((r): r is TickRecord => r.type === 'tick');
    expect(phases.map((p) => p.phase)).toEqual(['ycsb-C@2']);
    expect(phases[0]!.endT).toBeGreaterThanOrEqual(2.5);
    expect(phases[0]!.endT).toBeLessThanOrEqual(2.6);
    expect(ticks.map((x) => x.t)).toEqual([0, 1, 2]);
    expect(ticks.reduce((s, x) => s + x.byOp.read!.count, 0)).toBe(phases[0]!.ops);
  });
});

describe('WorkloadDriver: stopping the load', () => {
  it('stopped() ends the load early too', async () => {
    const clock = new FakeClock();
    const kv = new MemoryKv(clock);
    const t = topology({ kind: 'ycsb', workload: 'C', records: 10_000, clients: 4, duration: 1 });
    const driver = new WorkloadDriver({ topology: t, variant: 'v', seed: 1, clock, client: (i, g) => kv.client(i, g), sink: () => undefined, stopped: () => clock.nowMs >= 100 });
    const load = await clock.drive(driver.load());
    // 4 loaders, 2 ms a put, 100 ms: about 200 puts of the 30,000.
    expect(load.puts).toBeGreaterThan(150);
    expect(load.puts).toBeLessThan(260);
    expect(load.ms).toBeLessThanOrEqual(102);
  });
});

describe('latencyStats', () => {
  it('nearest-rank p50/p99, mean, count without errors', () => {
    const lat = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(latencyStats(lat, 3)).toEqual({ count: 100, errors: 3, p50Ms: 50, p99Ms: 99, meanMs: 50.5 });
    expect(latencyStats([], 2)).toEqual({ count: 0, errors: 2, p50Ms: 0, p99Ms: 0, meanMs: 0 });
  });
});
