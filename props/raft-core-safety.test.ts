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
import { actionArb, runSchedule, runsDone } from '../actors/raft/testing/schedule.js';
import { checkProperty } from './support.js';

const FILE = 'props/raft-core-safety.test.ts';
describe('pure cores under random schedules stay safe and converge', () => {
  for (const [size, preVote] of [
    [3, true],
    [5, true],
    [3, false],
  ] as const) {
    it(`${size} nodes, preVote+checkQuorum ${preVote ? 'on' : 'off'}`, async () => {
      runsDone.committedSomething = runsDone.runs = runsDone.reconfigured = 0;
      await checkProperty(
        FILE,
        fc.property(fc.integer({ min: 1, max: 1 << 30 }), fc.array(actionArb(size), { minLength: 40, maxLength: 200, size: 'max' }), (seed, actions) =>
          void runSchedule(size, seed, actions, preVote),
        ),
        100,
      );
      // Schedules where nothing but the final write commits would prove little.
      expect(runsDone.committedSomething).toBeGreaterThan(runsDone.runs / 4);
      expect(runsDone.reconfigured).toBeGreaterThan(runsDone.runs / 10);
    });
  }
});
