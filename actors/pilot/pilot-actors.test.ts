import { describe, expect, it } from 'vitest';
import { Simulation } from '../../runtime/sim/index.js';
import { InlineJobRunner } from '../../storage/job-runner.js';
import type { LocalPlacement, RemotePlacement } from '../compaction/compaction-actor.js';
import type { SchedulerMessage, SchedulerView } from './messages.js';
import { bootPilotNode, type PilotNode, type PilotNodeConfig } from './pilot-node.js';
import { pilotPlacement } from './placement.js';

const MB = 1_000_000;
const federation: PilotNodeConfig[] = [
  { name: 'high', tier: 'high' },
  { name: 'medium', tier: 'medium' },
  { name: 'low', tier: 'low' },
];

function boot(sim: Simulation, config = federation): Map<string, PilotNode> {
  const nodes = new Map<string, PilotNode>();
  for (const self of config) {
    sim.addNode(self.name, (n) => {
      nodes.set(
        self.name,
        bootPilotNode({
          system: n.system,
          self,
          federation: config,
          runner: new InlineJobRunner(),
          refOf: (node, path) => n.system.ref({ system: node, path }),
        }),
      );
    });
  }
  return nodes;
}

/** Runs the simulation until `p` settles. */
async function settle<T>(sim: Simulation, p: Promise<T>, maxMs = 60_000): Promise<T> {
  let out: { ok: T } | { err: unknown } | undefined;
  p.then((ok) => (out = { ok }), (err: unknown) => (out = { err }));
  await sim.runUntil(() => out !== undefined, maxMs);
  if (out === undefined) throw new Error('did not settle');
  if ('err' in out) throw out.err;
  return out.ok;
}

const input = (bytes: number) => ({ inputs: [new Uint8Array(bytes)] });

async function placeFrom(sim: Simulation, node: PilotNode, bytes: number): Promise<RemotePlacement | LocalPlacement> {
  const r = await settle(sim, Promise.resolve(node.placement!(input(bytes) as never)));
  return r as RemotePlacement | LocalPlacement;
}

const where = (p: RemotePlacement | LocalPlacement) => ('local' in p ? 'local' : p.targetNode);

describe('EdgePilot actors (simulated federation)', () => {
  it('monitors report every second on the runtime clock, and the master orders the queue by Algorithm 2', async () => {
    const sim = new Simulation({ seed: 1 });
    const nodes = boot(sim);
    await sim.runFor(10_000);
    const view = await settle(sim, nodes.get('high')!.scheduler.ask<SchedulerView>({ type: 'view' } satisfies SchedulerMessage, { timeoutMs: 1000 }));
    // Free cores: high 8-1, medium 6-1, low 4-1; all above one and with bandwidth, so the faster merger leads.
    expect(view.queue.map((s) => s.node)).toEqual(['high', 'medium', 'low']);
    expect(view.queue[0]!.availableCores).toBe(7);
    nodes.get('high')!.cpu.setLoadThreads(7); // high now has no free core: last.
    await sim.runFor(1_000);
    const view2 = await settle(sim, nodes.get('high')!.scheduler.ask<SchedulerView>({ type: 'view' }, { timeoutMs: 1000 }));
    expect(view2.queue.map((s) => s.node)).toEqual(['medium', 'low', 'high']);
  });

  it('offloads a weak node to the strongest idle one, and the decision moves as the target gets loaded', async () => {
    const sim = new Simulation({ seed: 2 });
    const nodes = boot(sim);
    await sim.runFor(1_500);
    const low = nodes.get('low')!;
    const first = await placeFrom(sim, low, 8 * MB);
    expect(where(first)).toBe('high');
    expect((first as RemotePlacement).timeoutMs).toBeGreaterThan((first as RemotePlacement).predictedMs!);
    // The high node never offloads to weaker ones (Diff < 0).
    expect(where(await placeFrom(sim, nodes.get('high')!, 8 * MB))).toBe('local');
    nodes.get('high')!.cpu.setLoadThreads(6); // one free core left: behind a node with more (Algorithm 2, lines 2–4)
    await sim.runFor(1_000);
    expect(where(await placeFrom(sim, low, 8 * MB))).toBe('medium');
    // For medium the head of the queue is now low, slower than itself: the next candidate, high's last core, wins.
    expect(where(await placeFrom(sim, nodes.get('medium')!, 8 * MB))).toBe('high');
    nodes.get('high')!.cpu.setLoadThreads(6); // the report after that offload resets the reservation
    await sim.runFor(1_000);
    nodes.get('medium')!.cpu.setLoadThreads(5); // none left there: high's last core is the only candidate
    await sim.runFor(1_000);
    expect(where(await placeFrom(sim, low, 8 * MB))).toBe('high');
    nodes.get('high')!.cpu.setLoadThreads(7); // no free core anywhere
    await sim.runFor(1_000);
    expect(where(await placeFrom(sim, low, 8 * MB))).toBe('local');
    nodes.get('high')!.cpu.setLoadThreads(0);
    await sim.runFor(1_000);
    expect(where(await placeFrom(sim, low, 8 * MB))).toBe('high');
  });

  it('reserves a target core per offload until the next report, so a burst does not pile onto one node', async () => {
    const sim = new Simulation({ seed: 3 });
    const nodes = boot(sim);
    await sim.runFor(1_500);
    const low = nodes.get('low')!;
    const targets: string[] = [];
    // high has 7 free cores: 6 offloads leave it one, and a node with one free core sorts behind
    // medium (5 free), which takes 4; then both have one left and each takes one more; then none is left.
    for (let i = 0; i < 14; i++) targets.push(where(await placeFrom(sim, low, 8 * MB)));
    expect(targets).toEqual([...Array(6).fill('high'), ...Array(4).fill('medium'), 'high', 'medium', 'local', 'local']);
  });

  it('master loss: a node that cannot reach the master asks the next scheduler, which takes over; nothing blocks', async () => {
    const sim = new Simulation({ seed: 4 });
    const nodes = boot(sim);
    await sim.runFor(1_500);
    sim.crash('high');
    await sim.runFor(4_000); // past the status TTL: high is gone from every queue
    const low = nodes.get('low')!;
    const t0 = sim.nowMs;
    const p = await placeFrom(sim, low, 8 * MB);
    expect(where(p)).toBe('medium');
    // Waited for one placement timeout on the dead master, no more.
    expect(sim.nowMs - t0).toBeLessThan(400);
    expect(low.placement!.suspected()).toEqual(['high']);
    // Suspected: the next question goes straight to medium.
    const t1 = sim.nowMs;
    expect(where(await placeFrom(sim, low, 8 * MB))).toBe('medium');
    expect(sim.nowMs - t1).toBeLessThan(50);
  });

  it('with no scheduler reachable at all, the merge runs locally after the placement timeouts', async () => {
    const sim = new Simulation({ seed: 5 });
    const n = sim.addNode('lonely', () => {});
    const placement = pilotPlacement({
      node: 'lonely',
      clock: n.system.clock,
      schedulers: ['gone-a', 'gone-b'].map((g, i) => ({ node: g, ref: n.system.ref<SchedulerMessage>({ system: g, path: 's' }), capacity: i })),
      compactionOf: (x) => n.system.ref({ system: x, path: 'c' }),
      placeTimeoutMs: 100,
    });
    const p = await settle(sim, Promise.resolve(placement(input(MB) as never)));
    expect(p).toEqual({ local: true });
    expect(placement.suspected().sort()).toEqual(['gone-a', 'gone-b']);
  });

  it('the monitor carries compaction records into every scheduler model (standbys stay warm)', async () => {
    const sim = new Simulation({ seed: 6 });
    const nodes = boot(sim);
    await sim.runFor(1_100);
    const low = nodes.get('low')!;
    // Low's merges are 5× slower than its tier prior says: both schedulers learn it.
    for (let i = 1; i <= 20; i++) {
      const size = i * MB;
      low.monitor.tell({
        type: 'record',
        event: { owner: 'low', ranOn: 'low', inputBytes: size, outputBytes: size, computeMs: (5 * size) / (40_000 * 0.3), transferMs: 0, totalMs: 0, outcome: 'local' },
      });
    }
    await sim.runFor(1_000);
    for (const s of ['high', 'medium']) {
      const view = await settle(sim, nodes.get(s)!.scheduler.ask<SchedulerView>({ type: 'view' }, { timeoutMs: 1000 }));
      const lowPerf = view.queue.find((q) => q.node === 'low')!.compactionPerf;
      // 5× slower than its prior: 40 MB/s × 0.3 / 5 = 2.4 kB/ms.
      expect(lowPerf).toBeCloseTo((40 * 0.3) / 5 * 1000, 0);
    }
  });
});

