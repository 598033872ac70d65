/**
 * Pure Raft cores under random schedules: any order of ticks, deliveries
 * (reordered, duplicated, dropped), proposals, crashes with restarts and
 * partitions. The TestCluster harness checks on every Ready: persist before
 * send, commit never backwards, one leader per term, and every node applies
 * the same entry at each index. After the chaos, the network heals and the
 * group must converge: everything proposed and committed is applied
 * everywhere.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProposalDroppedError } from '../actors/raft/errors.js';
import type { Message } from '../actors/raft/messages.js';
import { TestCluster } from '../actors/raft/testing/cluster.js';
import { checkProperty } from './support.js';

const FILE = 'props/raft-core-safety.test.ts';

type Action =
  | { kind: 'tick'; node: number; times: number }
  | { kind: 'tickAll'; times: number }
  | { kind: 'deliver'; pick: number; count: number }
  | { kind: 'duplicate'; pick: number }
  | { kind: 'drop'; pick: number }
  | { kind: 'propose'; node: number }
  | { kind: 'crash'; node: number }
  | { kind: 'partition'; node: number }
  | { kind: 'heal' }
  | { kind: 'compact'; node: number };

const actionArb = (size: number): fc.Arbitrary<Action> => {
  const node = fc.integer({ min: 1, max: size });
  const pick = fc.nat({ max: 1000 });
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const), node, times: fc.integer({ min: 1, max: 12 }) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('tickAll' as const), times: fc.integer({ min: 1, max: 8 }) }) },
    { weight: 10, arbitrary: fc.record({ kind: fc.constant('deliver' as const), pick, count: fc.integer({ min: 1, max: 20 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), pick }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), pick }) },
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('propose' as const), node }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), node }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('partition' as const), node }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('heal' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), node }) },
  );
};

const runsDone = { committedSomething: 0, runs: 0 };

function run(size: number, seed: number, actions: Action[], preVote: boolean): void {
  const c = new TestCluster(
    Array.from({ length: size }, (_, i) => i + 1),
    { seed, config: { preVote, checkQuorum: preVote, snapshotChunkBytes: 16 } },
  );
  let proposed = 0;
  const take = (pick: number): Message | undefined => {
    if (c.queue.length === 0) return undefined;
    return c.queue.splice(pick % c.queue.length, 1)[0];
  };
  for (const a of actions) {
    switch (a.kind) {
      case 'tick':
        c.tick(a.node, a.times);
        break;
      case 'tickAll':
        c.tickAll(a.times);
        break;
      case 'deliver':
        for (let i = 0; i < a.count; i++) {
          const m = take(a.pick + i);
          if (!m) break;
          c.queue.unshift(m);
          c.deliverOne();
        }
        break;
      case 'duplicate': {
        const m = c.queue[a.pick % Math.max(1, c.queue.length)];
        if (m) c.queue.push(m);
        break;
      }
      case 'drop':
        take(a.pick);
        break;
      case 'propose':
        try {
          c.propose(a.node, `p${proposed++}`);
        } catch (e) {
          if (!(e instanceof ProposalDroppedError)) throw e;
        }
        break;
      case 'crash':
        c.restart(a.node);
        break;
      case 'partition':
        c.isolate(a.node);
        break;
      case 'heal':
        c.heal();
        break;
      case 'compact':
        c.compact(a.node, 2);
        break;
    }
  }
  // Heal and let the group settle: it must elect a leader and bring everyone to the same state.
  c.heal();
  for (let i = 0; i < 300; i++) {
    c.tickAll();
    c.deliverAll();
    const leader = c.leader();
    if (leader !== undefined && i > 30) break;
  }
  const leader = c.leader();
  expect(leader).toBeDefined();
  c.propose(leader!, 'final');
  for (let i = 0; i < 5; i++) {
    c.tickAll();
    c.deliverAll();
  }
  const reference = c.node(leader!).recorded;
  expect(reference.at(-1)).toBe('final');
  for (const id of c.ids) expect(c.node(id).recorded).toEqual(reference);
  runsDone.runs++;
  if (reference.length > 1) runsDone.committedSomething++;
}

describe('pure cores under random schedules stay safe and converge', () => {
  for (const [size, preVote] of [
    [3, true],
    [5, true],
    [3, false],
  ] as const) {
    it(`${size} nodes, preVote+checkQuorum ${preVote ? 'on' : 'off'}`, async () => {
      runsDone.committedSomething = runsDone.runs = 0;
      await checkProperty(
        FILE,
        fc.property(fc.integer({ min: 1, max: 1 << 30 }), fc.array(actionArb(size), { minLength: 40, maxLength: 200, size: 'max' }), (seed, actions) =>
          run(size, seed, actions, preVote),
        ),
        100,
      );
      // Schedules where nothing but the final write commits would prove little.
      expect(runsDone.committedSomething).toBeGreaterThan(runsDone.runs / 4);
    });
  }
});
