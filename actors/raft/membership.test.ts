import { describe, expect, it } from 'vitest';
import { ConfChangeRejectedError } from './errors.js';
import { TestCluster } from './testing/cluster.js';

function settle(c: TestCluster, rounds = 5): void {
  for (let i = 0; i < rounds; i++) {
    c.tickAll();
    c.deliverAll();
  }
}

describe('membership changes (one at a time, effective when applied)', () => {
  it('adds a voter that catches up and then counts toward the quorum', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.propose(1, 'before');
    c.deliverAll();
    // A joining node starts with the group's founding membership, in which it is not a voter.
    c.addNode(4, [1, 2, 3]);
    c.core(1).proposeConfChange({ type: 'addVoter', nodeId: 4 });
    c.processReady(c.node(1));
    settle(c);
    for (const id of [1, 2, 3, 4]) expect(c.core(id).confState().voters).toEqual([1, 2, 3, 4]);
    expect(c.node(4).recorded).toEqual(['before']);
    // Four voters: 1 and 2 alone are not a majority any more.
    c.partition([1, 2], [3, 4]);
    const committed = c.core(1).log.committed;
    c.propose(1, 'needs-three');
    c.deliverAll();
    expect(c.core(1).log.committed).toBe(committed);
  });

  it('removes a voter; the smaller group commits without it', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.core(1).proposeConfChange({ type: 'remove', nodeId: 3 });
    c.processReady(c.node(1));
    settle(c, 2);
    expect(c.core(1).confState().voters).toEqual([1, 2]);
    c.isolate(3);
    c.partition([2], [3]);
    c.propose(1, 'two-of-two');
    c.deliverAll();
    expect(c.node(2).recorded).toEqual(['two-of-two']);
  });

  it('a learner receives the log but never counts toward commit', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.addNode(4, [1, 2, 3]);
    c.core(1).proposeConfChange({ type: 'addLearner', nodeId: 4 });
    c.processReady(c.node(1));
    settle(c);
    expect(c.core(1).confState()).toEqual({ voters: [1, 2, 3], learners: [4] });
    c.propose(1, 'x');
    c.deliverAll();
    expect(c.node(4).recorded).toEqual(['x']);
    c.partition([1, 4], [2, 3]);
    const committed = c.core(1).log.committed;
    c.propose(1, 'y');
    c.deliverAll();
    expect(c.core(4).log.lastIndex()).toBeGreaterThan(committed);
    expect(c.core(1).log.committed).toBe(committed);
  });

  it('a learner can be promoted to voter', () => {
    const c = new TestCluster([1, 2, 3], { learners: [3] });
    expect(c.elect(1)).toBe(true);
    expect(c.core(1).confState()).toEqual({ voters: [1, 2], learners: [3] });
    c.core(1).proposeConfChange({ type: 'addVoter', nodeId: 3 });
    c.processReady(c.node(1));
    settle(c, 2);
    expect(c.core(3).confState()).toEqual({ voters: [1, 2, 3], learners: [] });
  });

  it('refuses a second change while the first is not applied', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.isolate(1);
    c.core(1).proposeConfChange({ type: 'remove', nodeId: 3 });
    expect(() => c.core(1).proposeConfChange({ type: 'remove', nodeId: 2 })).toThrow(ConfChangeRejectedError);
  });

  it('a new leader refuses changes until it has applied its log', () => {
    const c = new TestCluster([1, 2, 3]);
    c.core(1).campaign();
    c.processReady(c.node(1));
    // Granted votes arrive, but the leader's empty entry is not committed yet.
    c.addFilter((m) => m.type !== 'app');
    c.deliverAll();
    expect(c.core(1).state).toBe('leader');
    expect(() => c.core(1).proposeConfChange({ type: 'addVoter', nodeId: 4 })).toThrow(ConfChangeRejectedError);
  });

  it('refuses to remove the last voter', () => {
    const c = new TestCluster([1]);
    expect(c.elect(1)).toBe(true);
    expect(() => c.core(1).proposeConfChange({ type: 'remove', nodeId: 1 })).toThrow(/no voter/);
  });

  it('a removed leader steps down and the rest elect a new one', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.core(1).proposeConfChange({ type: 'remove', nodeId: 1 });
    c.processReady(c.node(1));
    c.deliverAll();
    c.tick(1);
    c.deliverAll();
    expect(c.core(1).state).toBe('follower');
    for (let i = 0; i < 100 && ![2, 3].some((id) => c.core(id).state === 'leader'); i++) {
      c.tickAll();
      c.deliverAll();
    }
    const leader = [2, 3].find((id) => c.core(id).state === 'leader')!;
    expect(leader).toBeDefined();
    c.propose(leader, 'after-removal');
    c.deliverAll();
    expect(c.core(leader).confState().voters).toEqual([2, 3]);
    expect(c.node(leader === 2 ? 3 : 2).recorded).toEqual(['after-removal']);
  });

  it('a node replays membership changes from its log after a restart', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.core(1).proposeConfChange({ type: 'remove', nodeId: 3 });
    c.processReady(c.node(1));
    settle(c, 2);
    c.restart(2);
    settle(c, 2);
    expect(c.core(2).confState().voters).toEqual([1, 2]);
  });

  it('a leader that removed itself hands leadership over instead of stranding the group', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.core(1).proposeConfChange({ type: 'remove', nodeId: 1 });
    c.processReady(c.node(1));
    c.deliverAll();
    // Applied at the leader: it keeps leading (without counting itself) and sends TimeoutNow.
    expect(c.core(1).confState().voters).toEqual([2, 3]);
    const leader = [2, 3].find((id) => c.core(id).state === 'leader');
    expect(leader).toBeDefined();
    expect(c.core(leader!).term).toBe(2);
    // Its next heartbeat is answered with the new term, and it steps down.
    c.tick(1);
    c.deliverAll();
    expect(c.core(1).state).toBe('follower');
  });

  it('a candidate that missed a commit learns it from a voter that rejects it', () => {
    const c = new TestCluster([1, 2, 3], { config: { preVote: false, checkQuorum: false } });
    expect(c.elect(1)).toBe(true);
    c.propose(1, 'x');
    // Node 3 gets the entry but never the commit index; node 1 and 2 commit it.
    c.addFilter((m) => !(m.to === 3 && (m.type === 'heartbeat' || (m.type === 'app' && m.entries.length === 0))));
    c.deliverAll();
    expect(c.core(3).log.lastIndex()).toBe(2);
    expect(c.core(3).log.committed).toBe(1);
    c.heal();
    // Node 1 appends one more entry nobody gets, so node 3's log is behind and its campaign is rejected.
    c.isolate(1);
    c.propose(1, 'y');
    c.dropQueued();
    c.heal();
    expect(c.core(1).log.committed).toBe(2);
    c.core(3).campaign();
    c.processReady(c.node(3));
    c.dropQueued((m) => m.to === 2 || m.from === 2);
    c.deliverAll();
    expect(c.core(3).state).not.toBe('leader');
    // The rejection said index 2 (term 1) is committed; node 3 holds that very entry, so it commits it.
    expect(c.core(3).log.committed).toBe(2);
    expect(c.node(3).recorded).toEqual(['x']);
  });
});
