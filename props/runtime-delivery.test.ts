import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActorRef } from '../runtime/actor-ref.js';
import { Simulation } from '../runtime/sim/index.js';
import { checkProperty } from './support.js';

/**
 * Random actor topologies under random network faults, node crashes and
 * partitions, checking the runtime's delivery guarantees:
 *  - per sender→receiver FIFO when no fault reorders (drops, partitions and
 *    crashes may leave gaps, never inversions);
 *  - at most once per tell without the duplicate fault, and nothing that was
 *    never sent;
 *  - a run replays identically from its seed.
 */
const FILE = 'props/runtime-delivery.test.ts';
const RUNS = 100;

interface Scenario {
  nodes: number;
  actorsPerNode: number;
  dropRate: number;
  duplicateRate: number;
  reorder: boolean;
  maxDelayMs: number;
  sends: Array<{ atMs: number; from: [number, number]; to: [number, number] }>;
  faults: Array<{ atMs: number; kind: 'crash' | 'partition'; node: number; durationMs: number }>;
}

function scenario(opts: { duplicates: boolean; reorder: boolean | 'any' }): fc.Arbitrary<Scenario> {
  return fc
    .record({ nodes: fc.integer({ min: 1, max: 5 }), actorsPerNode: fc.integer({ min: 1, max: 3 }) })
    .chain(({ nodes, actorsPerNode }) => {
      const endpoint = fc.tuple(fc.integer({ min: 0, max: nodes - 1 }), fc.integer({ min: 0, max: actorsPerNode - 1 }));
      return fc.record({
        nodes: fc.constant(nodes),
        actorsPerNode: fc.constant(actorsPerNode),
        dropRate: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.4, noNaN: true })),
        duplicateRate: opts.duplicates ? fc.double({ min: 0.05, max: 0.5, noNaN: true }) : fc.constant(0),
        reorder: opts.reorder === 'any' ? fc.boolean() : fc.constant(opts.reorder),
        maxDelayMs: fc.integer({ min: 1, max: 50 }),
        sends: fc.array(fc.record({ atMs: fc.integer({ min: 0, max: 1000 }), from: endpoint, to: endpoint }), {
          minLength: 20,
          maxLength: 300,
          size: 'large',
        }),
        faults: fc.array(
          fc.record({
            atMs: fc.integer({ min: 0, max: 1000 }),
            kind: fc.constantFrom('crash' as const, 'partition' as const),
            node: fc.integer({ min: 0, max: nodes - 1 }),
            durationMs: fc.integer({ min: 1, max: 300 }),
          }),
          { maxLength: 6, size: 'medium' },
        ),
      });
    });
}

interface Received {
  receiver: string;
  from: string;
  seq: number;
  atMs: number;
}

type Msg = { kind: 'send'; to: ActorRef<Msg>; seq: number } | { kind: 'data'; from: string; seq: number };

interface Outcome {
  received: Received[];
  sentSeqs: Map<string, Set<number>>;
  trace: string;
}

async function runScenario(seed: number, s: Scenario): Promise<Outcome> {
  const sim = new Simulation({
    seed,
    faults: { dropRate: s.dropRate, duplicateRate: s.duplicateRate, reorder: s.reorder, minDelayMs: 1, maxDelayMs: s.maxDelayMs },
  });
  const received: Received[] = [];
  const sentSeqs = new Map<string, Set<number>>();
  const nextSeq = new Map<string, number>();
  const nodeName = (n: number) => `n${n}`;

  for (let n = 0; n < s.nodes; n++) {
    sim.addNode(nodeName(n), (node) => {
      for (let a = 0; a < s.actorsPerNode; a++) {
        const me = `${node.name}/a${a}`;
        node.system.spawn<Msg>(
          {
            create: () => ({
              receive(m, ctx) {
                if (m.kind === 'send') m.to.tell({ kind: 'data', from: me, seq: m.seq }, ctx.self);
                else received.push({ receiver: me, from: m.from, seq: m.seq, atMs: ctx.clock.now() });
              },
            }),
          },
          `a${a}`,
        );
      }
    });
  }

  for (const send of s.sends) {
    sim.schedule(send.atMs, () => {
      const from = sim.node(nodeName(send.from[0]));
      if (from === undefined) return; // the sender is down: nothing is sent
      const key = `${from.name}/a${send.from[1]}`;
      const seq = nextSeq.get(key) ?? 0;
      nextSeq.set(key, seq + 1);
      if (!sentSeqs.has(key)) sentSeqs.set(key, new Set());
      sentSeqs.get(key)!.add(seq);
      const to = from.system.ref<Msg>({ system: nodeName(send.to[0]), path: `a${send.to[1]}` });
      from.system.ref<Msg>(`a${send.from[1]}`).tell({ kind: 'send', to, seq });
    });
  }
  for (const fault of s.faults) {
    const name = nodeName(fault.node);
    sim.schedule(fault.atMs, () => {
      if (fault.kind === 'crash') {
        if (!sim.isUp(name)) return;
        sim.crash(name);
        sim.schedule(fault.durationMs, () => void (sim.isUp(name) || sim.restart(name)));
      } else {
        const others = sim.nodeNames().filter((x) => x !== name);
        sim.network.partition([name], others);
        sim.schedule(fault.durationMs, () => sim.network.heal());
      }
    });
  }
  await sim.runFor(2000);
  const trace = JSON.stringify({ received, net: sim.network.trace, stats: sim.network.stats, events: sim.eventsRun });
  return { received, sentSeqs, trace };
}

function byPair(received: Received[]): Map<string, number[]> {
  const pairs = new Map<string, number[]>();
  for (const r of received) {
    const key = `${r.from}->${r.receiver}`;
    if (!pairs.has(key)) pairs.set(key, []);
    pairs.get(key)!.push(r.seq);
  }
  return pairs;
}

describe('runtime delivery properties (simulator)', () => {
  it('keeps per-sender FIFO order when no fault reorders', async () => {
    await checkProperty(
      FILE,
      fc.asyncProperty(fc.integer(), scenario({ duplicates: false, reorder: false }), async (seed, s) => {
        const { received } = await runScenario(seed, s); 
        for (const [pair, seqs] of byPair(received)) {
          for (let i = 1; i < seqs.length; i++) {
            if (seqs[i]! <= seqs[i - 1]!) throw new Error(`FIFO broken on ${pair}: ${seqs.join(',')}`);
          }
        }
      }),
      RUNS,
    );
  });

  it('delivers each tell at most once, and only tells that were sent, without the duplicate fault', async () => {
    await checkProperty(
      FILE,
      fc.asyncProperty(fc.integer(), scenario({ duplicates: false, reorder: 'any' }), async (seed, s) => {
        const { received, sentSeqs } = await runScenario(seed, s);
        const seen = new Set<string>();
        for (const r of received) {
          const id = `${r.from}#${r.seq}->${r.receiver}`;
          if (seen.has(id)) throw new Error(`delivered twice: ${id}`);
          seen.add(id);
          if (!sentSeqs.get(r.from)?.has(r.seq)) throw new Error(`delivered but never sent: ${id}`);
        }
      }),
      RUNS,
    );
  });

  it('replays identically from a seed, to the message', async () => {
    await checkProperty(
      FILE,
      fc.asyncProperty(fc.integer(), scenario({ duplicates: true, reorder: 'any' }), async (seed, s) => {
        const first = await runScenario(seed, s);
        const second = await runScenario(seed, s);
        if (first.trace !== second.trace) throw new Error('two runs of the same seed differ');
      }),
      RUNS / 2,
    );
  });

  it('the duplicate fault really duplicates (so the at-most-once property is not vacuous)', async () => {
    const s: Scenario = {
      nodes: 2,
      actorsPerNode: 1,
      dropRate: 0,
      duplicateRate: 0.5,
      reorder: false,
      maxDelayMs: 5,
      sends: Array.from({ length: 50 }, (_, i) => ({ atMs: i, from: [0, 0] as [number, number], to: [1, 0] as [number, number] })),
      faults: [],
    };
    const { received } = await runScenario(7, s);
    expect(received.length).toBeGreaterThan(50);
  });
});
