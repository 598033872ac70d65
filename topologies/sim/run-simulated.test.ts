import { describe, expect, it } from 'vitest';
import type { SimCluster } from '../../actors/edge/testing/sim-cluster.js';
import type { EventRecord, MetaRecord, NodeRecord, PhaseRecord, RunRecord, TickRecord } from '../records.js';
import { resolveTopology } from '../resolve.js';
import type { Topology } from '../schema.js';
import { validateTopology } from '../validate.js';
import { notEmulated, runSimulated, type SimRunOptions } from './run-simulated.js';

const groups = [
  { id: 'g1', nodes: ['a1', 'a2', 'a3'] },
  { id: 'g2', nodes: ['b1', 'b2', 'b3'] },
];

async function simulate(t: Topology, opts: SimRunOptions = {}, onRecord: (r: RunRecord) => void = () => undefined) {
  const topology = resolveTopology(validateTopology(t));
  const records: RunRecord[] = [];
  const wall = performance.now();
  await runSimulated(topology, topology.variants[0]!, (r) => {
    records.push(r);
    onRecord(r);
  }, opts);
  const of = <T extends RunRecord>(type: T['type']) => records.filter((r): r is T => r.type === type);
  return {
    records,
    wallMs: performance.now() - wall,
    meta: of<MetaRecord>('meta'),
    ticks: of<TickRecord>('tick'),
    nodes: of<NodeRecord>('node'),
    events: of<EventRecord>('event'),
    phases: of<PhaseRecord>('phase'),
  };
}

const errorsOf = (t: TickRecord) => Object.values(t.byOp).reduce((s, x) => s + x.errors, 0);
const opsOf = (t: TickRecord) => Object.values(t.byOp).reduce((s, x) => s + x.count, 0);

describe('topologies in the simulator', () => {
  it('runs 2 groups × 3 nodes with YCSB A through a crash and a partition, and records it all', async () => {
    let cluster: SimCluster | undefined;
    const r = await simulate({
      name: 'sim-faults',
      seed: 11,
      groups,
      links: [
        { between: ['*', '*'], latencyMs: 1, jitterMs: 0.5 },
        { between: ['client', '*'], latencyMs: 2 },
      ],
      timeline: [
        // g1 loses its majority for 5 s: its local operations (and global keys it holds) fail after their deadline.
        { at: 1, do: 'crash', node: 'a1' },
        { at: 1, do: 'crash', node: 'a2' },
        { at: 2, do: 'partition', sides: [['b1'], ['b2', 'b3', 'g2-gw']] },
        { at: 3, do: 'heal' },
        { at: 3, do: 'load', node: 'b2', threads: 2 },
        { at: 6, do: 'restart', node: 'a1' },
        { at: 6, do: 'restart', node: 'a2' },
        { at: 60, do: 'crash', node: 'b3', label: 'too late' },
      ],
      workload: { kind: 'ycsb', workload: 'A', records: 100, clients: 4, duration: 9 },
    }, { inspect: (c) => (cluster = c) });
    // The meta first, simulated.
    expect(r.records[0]!.type).toBe('meta');
    expect(r.meta).toHaveLength(1);
    expect(r.meta[0]).toMatchObject({ topology: 'sim-faults', variant: 'default', mode: 'simulated', seed: 11, tiersEmulated: false });
    expect(r.meta[0]!.hosts.map((h) => h.name)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3', 'g1-gw', 'g2-gw']);
    // A tick per virtual second; no errors before the first fault, errors only from it on. Without g1's
    // majority every client soon waits on a g1 operation (local, or a global key g1 holds): throughput drops to 0.
    expect(r.ticks.map((t) => t.t)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(opsOf(r.ticks[0]!)).toBeGreaterThan(100);
    expect(opsOf(r.ticks[3]!)).toBe(0);
    expect(opsOf(r.ticks[8]!)).toBeGreaterThan(100);
    expect(errorsOf(r.ticks[0]!)).toBe(0);
    const errorTicks = r.ticks.filter((t) => errorsOf(t) > 0).map((t) => t.t);
    expect(errorTicks.length).toBeGreaterThan(0);
    expect(Math.min(...errorTicks)).toBeGreaterThanOrEqual(1);
    // Throughput recovers once g1 is back.
    expect(errorsOf(r.ticks[8]!)).toBe(0);
    // The phase adds up its ticks.
    const p = r.phases[0]!;
    expect(p).toMatchObject({ phase: 'ycsb-A@4', workload: 'ycsb-A', clients: 4, startT: 0 });
    expect(p.ops).toBe(r.ticks.reduce((s, t) => s + opsOf(t), 0));
    expect(p.errors).toBe(r.ticks.reduce((s, t) => s + errorsOf(t), 0));
    expect(p.ops).toBeGreaterThan(300);
    expect(p.firstError).toMatch(/no node answered within 5000 ms/);
    // Node records once per virtual second per edge node; a1 down from its crash to its restart.
    const a1 = r.nodes.filter((n) => n.node === 'a1');
    expect(a1.map((n) => n.t).slice(0, 4)).toEqual([0, 1, 2, 3]);
    expect(r.nodes.filter((n) => n.t === 0).map((n) => n.node)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
    expect(a1.filter((n) => !n.up).map((n) => n.t)).toEqual([1, 2, 3, 4, 5]);
    expect(r.nodes.every((n) => n.stallMs === undefined && n.compactions === undefined)).toBe(true);
    // Every timeline event as applied, at its virtual time; load is not emulated; one came after the end.
    expect(r.events.filter((e) => e.event !== 'preload').map((e) => [e.t, e.event, e.ok])).toEqual([
      [1, 'crash', true],
      [1, 'crash', true],
      [2, 'partition', true],
      [3, 'heal', true],
      [3, 'load', false],
      [6, 'restart', true],
      [6, 'restart', true],
      [60, 'crash', false],
    ]);
    expect(r.events.find((e) => e.event === 'load')!.error).toBe(notEmulated.load);
    expect(r.events.find((e) => e.detail === 'too late')!.error).toMatch(/after the end of the workload/);
    expect(r.events.find((e) => e.event === 'preload')).toMatchObject({ t: 0, ok: true });
    // Faster than real time: the whole run (start, load, 9 s of workload) took less wall time than virtual time.
    expect(cluster!.sim.nowMs).toBeGreaterThan(9_000);
    expect(r.wallMs).toBeLessThan(cluster!.sim.nowMs);
  });

  it('is deterministic from its seed', async () => {
    const t: Topology = {
      name: 'sim-determinism',
      groups,
      links: [{ between: ['*', '*'], latencyMs: 1, jitterMs: 1, loss: 0.01 }],
      timeline: [{ at: 1, do: 'crash', node: 'b1' }, { at: 2, do: 'restart', node: 'b1' }],
      workload: { kind: 'mixgraph', keys: 200, clients: 3, duration: 3 },
    };
    const strip = (rs: RunRecord[]) => JSON.stringify(rs.map((x) => (x.type === 'meta' ? { ...x, startedAt: '', machine: null } : x)));
    const a = await simulate(t, { seed: 4 });
    const b = await simulate(t, { seed: 4 });
    const c = await simulate(t, { seed: 5 });
    expect(a.phases[0]!.ops).toBeGreaterThan(0);
    expect(strip(b.records)).toBe(strip(a.records));
    expect(strip(c.records)).not.toBe(strip(a.records));
  });

  it('starts a late gateway off the ring and lets it join (and another leave) at its event', async () => {
    let cluster: SimCluster | undefined;
    let bootedAtStart: boolean | undefined;
    const r = await simulate(
      {
        name: 'sim-late-gateway',
        groups,
        timeline: [
          { at: 1, do: 'gateway-join', gateway: 'g2-gw' },
          { at: 3, do: 'gateway-leave', gateway: 'g1-gw' },
        ],
        workload: { kind: 'ycsb', workload: 'A', records: 50, clients: 2, duration: 5, globalShare: 1 },
      },
      { inspect: (c) => (cluster = c) },
      (x) => {
        // At t=0 (the preload's record), g2-gw has not been booted at all.
        if (x.type === 'event' && x.event === 'preload') bootedAtStart = cluster!.sim.nodeNames().includes('g2-gw');
      },
    );
    expect(bootedAtStart).toBe(false);
    expect(r.events.filter((e) => e.event.startsWith('gateway')).map((e) => [e.t, e.event, e.ok])).toEqual([
      [1, 'gateway-join', true],
      [3, 'gateway-leave', true],
      [expect.any(Number), 'gateway-leave', true],
    ]);
    expect(r.events.at(-1)!.detail).toMatch(/range handed over/);
    // At the end g2-gw holds the whole ring alone.
    expect(cluster!.ringStable(['g2-gw'])).toBe(true);
    // Global operations went on through the changes.
    expect(r.ticks.every((t) => opsOf(t) > 0)).toBe(true);
    expect(r.phases[0]!.ops).toBeGreaterThan(200);
  });

  it('crashes a gateway (its successor takes its range over) and restarts it onto the ring', async () => {
    let cluster: SimCluster | undefined;
    const r = await simulate(
      {
        name: 'sim-gateway-crash',
        groups,
        timeline: [
          { at: 1, do: 'crash', node: 'g1-gw' },
          { at: 7, do: 'restart', node: 'g1-gw' },
        ],
        workload: { kind: 'ycsb', workload: 'B', records: 50, clients: 2, duration: 9, globalShare: 1 },
      },
      { inspect: (c) => (cluster = c) },
    );
    expect(r.events.filter((e) => e.event !== 'preload').map((e) => [e.t, e.event, e.ok])).toEqual([
      [1, 'crash', true],
      [7, 'restart', true],
    ]);
    expect(opsOf(r.ticks[0]!)).toBeGreaterThan(50);
    // Global operations come back before the restart (the successor recovers the range) and after it.
    expect(opsOf(r.ticks[6]!)).toBeGreaterThan(50);
    expect(opsOf(r.ticks[8]!)).toBeGreaterThan(50);
    expect(cluster!.ringStable(['g1-gw', 'g2-gw'])).toBe(true);
  });

  it('shows a client link latency change in the measured latencies', async () => {
    const r = await simulate({
      name: 'sim-link-change',
      groups,
      links: [{ between: ['*', '*'], latencyMs: 1 }],
      timeline: [{ at: 2, do: 'link', between: ['client', '*'], latencyMs: 25 }],
      workload: { kind: 'ycsb', workload: 'C', records: 50, clients: 2, duration: 4 },
    });
    const p50 = r.ticks.map((t) => t.byOp.read!.p50Ms);
    expect(p50[0]).toBeLessThan(20);
    expect(p50[1]).toBeLessThan(20);
    // Client to node and back: at least 2 × 25 ms.
    expect(p50[3]).toBeGreaterThanOrEqual(50);
    expect(r.events.find((e) => e.event === 'link')).toMatchObject({ t: 2, ok: true });
  });

  it('models bandwidth on client links and says it does not between hosts', async () => {
    const r = await simulate({
      name: 'sim-bandwidth',
      groups: [{ id: 'g1', nodes: ['a1', 'a2', 'a3'] }],
      links: [
        { between: ['*', '*'], latencyMs: 1, bandwidthMbps: 100 },
        // 1 Mbit/s: a 10,000-byte value takes 80 ms to send.
        { from: 'client', to: '*', latencyMs: 1, bandwidthMbps: 1 },
      ],
      workload: { kind: 'fillrandom', keys: 1000, clients: 1, duration: 2, valueBytes: 10_000, globalShare: 0 },
    });
    expect(r.events.find((e) => e.event === 'bandwidth')).toMatchObject({ t: 0, ok: false, error: notEmulated.bandwidth });
    expect(r.ticks[0]!.byOp.put!.p50Ms).toBeGreaterThanOrEqual(80);
  });
});
