/**
 * Random schedules for pure Raft cores: the action language the core-safety
 * property generates, and its interpreter over a TestCluster. Lives here so a
 * failing schedule can be replayed and inspected outside fast-check.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { ConfChangeRejectedError, ProposalDroppedError } from '../errors.js';
import type { Message } from '../messages.js';
import { TestCluster } from './cluster.js';

export type Action =
  | { kind: 'tick'; node: number; times: number }
  | { kind: 'tickAll'; times: number }
  | { kind: 'deliver'; pick: number; count: number }
  | { kind: 'duplicate'; pick: number }
  | { kind: 'drop'; pick: number }
  | { kind: 'propose'; node: number }
  | { kind: 'crash'; node: number }
  | { kind: 'partition'; node: number }
  | { kind: 'heal' }
  | { kind: 'compact'; node: number }
  /** Ask whoever leads to remove `node`, or add it back if it is not a voter. */
  | { kind: 'reconfigure'; node: number };

export const actionArb = (size: number): fc.Arbitrary<Action> => {
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
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('reconfigure' as const), node }) },
  );
};

export const runsDone = { committedSomething: 0, runs: 0, reconfigured: 0 };

export function runSchedule(size: number, seed: number, actions: Action[], preVote: boolean): TestCluster {
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
      case 'reconfigure': {
        const leader = c.leader();
        if (leader === undefined) break;
        const core = c.core(leader);
        const voter = core.confState().voters.includes(a.node);
        try {
          core.proposeConfChange({ type: voter ? 'remove' : 'addVoter', nodeId: a.node });
          c.processReady(c.node(leader));
        } catch (e) {
          if (!(e instanceof ConfChangeRejectedError) && !(e instanceof ProposalDroppedError)) throw e;
        }
        break;
      }
    }
  }
  // Heal and let the group settle: it must elect a leader and bring everyone to the same state.
  c.heal();
  const shutDownRemoved = (): void => {
    // Without PreVote a removed member that never learned of its removal keeps forcing
    // elections (the scenario tests show it); operators stop removed members, and so do we.
    // With PreVote on they stay up: they must not be able to disrupt the group.
    if (preVote) return;
    const l = c.leader();
    if (l === undefined) return;
    const conf = c.core(l).confState();
    // Only once a member leads: a leader that removed itself must first hand over.
    if (!conf.voters.includes(l)) return;
    for (const id of c.ids) {
      const member = conf.voters.includes(id) || conf.learners.includes(id);
      if (!member && !c.node(id).crashed) {
        c.crash(id);
        shutDown.add(id);
      } else if (member && shutDown.delete(id)) {
        // Added back by a change that applied later: the operator starts it again.
        c.restart(id);
      }
    }
  };
  const shutDown = new Set<number>();
  for (let i = 0; i < 300; i++) {
    c.tickAll();
    c.deliverAll();
    shutDownRemoved();
    const leader = c.leader();
    // A leader that removed itself is still handing over; wait for a member to lead.
    if (leader !== undefined && i > 30 && c.core(leader).confState().voters.includes(leader)) break;
  }
  if (process.env.RAFT_SCHEDULE_DEBUG) {
    for (const id of c.ids) {
      const st = c.core(id).status();
      console.log(id, st.state, 'term', st.term, 'lead', st.lead, 'commit', st.committed, 'applied', st.applied, 'last', st.lastIndex, 'conf', JSON.stringify(st.confState), JSON.stringify(c.node(id).recorded));
    }
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
  // Members of the final configuration converge; removed nodes are left behind by design.
  const conf = c.core(leader!).confState();
  for (const id of [...conf.voters, ...conf.learners]) expect(c.node(id).recorded).toEqual(reference);
  runsDone.runs++;
  if (c.ids.some((id) => c.node(id).readies.some((rd) => rd.committedEntries.some((e) => e.type === 'confChange')))) {
    runsDone.reconfigured++;
  }
  if (reference.length > 1) runsDone.committedSomething++;
  return c;
}

