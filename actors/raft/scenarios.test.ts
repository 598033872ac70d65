/**
 * Scripted scenarios for the classic Raft traps. Each drives several pure
 * cores through the in-test network; the harness also checks, on every
 * Ready, persist-before-send, monotonic commit, one leader per term and
 * state-machine safety, so a scenario that drifts into an unsafe state fails
 * even where it does not assert.
 */
import { describe, expect, it } from 'vitest';
import { NotLeaderError } from './errors.js';
import type { AppMsg, Message } from './messages.js';
import { TestCluster } from './testing/cluster.js';

const ctx = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
const isApp = (m: Message): m is AppMsg => m.type === 'app';

/** Ticks every node that is not crashed until some node other than `except` leads, delivering as it goes. */
function runUntilNewLeader(c: TestCluster, except: number, maxRounds = 200): number {
  for (let i = 0; i < maxRounds; i++) {
    c.tickAll();
    c.deliverAll();
    for (const [id, n] of c.nodes) if (id !== except && !n.crashed && n.core.state === 'leader') return id;
  }
  throw new Error('no new leader');
}

describe('Figure 8: only entries of the current term are committed by counting replicas', () => {
  function figure8Setup(): { c: TestCluster; t3: number } {
    const c = new TestCluster([1, 2, 3, 4, 5], { config: { preVote: false, checkQuorum: false } });
    expect(c.elect(1)).toBe(true); // term 1, empty entry at index 1, committed everywhere
    expect(c.core(5).log.committed).toBe(1);

    // (a) S1 gets "x" at index 2 onto S2 only.
    c.propose(1, 'x');
    c.dropQueued((m) => !(isApp(m) && m.to === 2));
    c.deliverAll();
    expect(c.core(2).log.lastIndex()).toBe(2);

    // (b) S1 crashes; S5 wins term 2 with S3 and S4 and writes its own index 2, which it cannot replicate.
    c.crash(1);
    c.partition([5], [2]);
    c.addFilter((m) => !(m.from === 5 && m.type === 'app'));
    expect(c.elect(5)).toBe(true);
    expect(c.core(5).term).toBe(2);
    expect(c.core(5).log.term(2)).toBe(2);
    c.crash(5);
    c.heal();

    // (c) S1 restarts and wins term 3; it brings S2 and S3 up to index 2 (term 1), but its
    // own term-3 entry never gets through (each AppendEntries arrives cut before it).
    c.restart(1);
    c.partition([1], [4]);
    c.addRewrite((m) =>
      isApp(m) && m.from === 1 ? { ...m, entries: m.entries.filter((e) => e.term !== c.core(1).term) } : m,
    );
    // Its first try is in term 2, where S3 already voted for S5; the second, in term 3, wins.
    expect(c.elect(1)).toBe(false);
    expect(c.elect(1)).toBe(true);
    const t3 = c.core(1).term;
    expect(t3).toBe(3);
    for (let i = 0; i < 5; i++) {
      c.tick(1);
      c.deliverAll();
    }
    expect(c.core(3).log.term(2)).toBe(1);
    expect(c.core(1).status().progress.get(3)?.match).toBe(2);
    expect(c.core(1).status().progress.get(2)?.match).toBe(2);
    return { c, t3 };
  }

  it('a term-1 entry on a majority is not committed by a term-3 leader', () => {
    const { c } = figure8Setup();
    // Three of five hold index 2, yet it is from an older term: committing it here is the Figure 8 bug.
    expect(c.core(1).log.committed).toBe(1);
    for (const id of [1, 2, 3]) expect(c.node(id).recorded).toEqual([]);

    // (d) S1 crashes; S5 (last term 2) is elected by S2, S3, S4 and overwrites index 2 everywhere.
    c.crash(1);
    c.heal();
    c.restart(5);
    // S5's first try is in term 3, where S2 and S3 voted for S1; in term 4 its log (last term 2) wins.
    expect(c.elect(5)).toBe(false);
    expect(c.elect(5)).toBe(true);
    c.propose(5, 'y');
    c.deliverAll();
    for (const id of [2, 3, 4, 5]) {
      expect(c.core(id).log.term(2)).toBe(2);
      expect(c.node(id).recorded).toEqual(['y']);
    }
  });

  it('the same entry commits once an entry of the current term is replicated', () => {
    const { c, t3 } = figure8Setup();
    c.heal();
    c.tick(1);
    c.deliverAll();
    expect(c.core(1).term).toBe(t3);
    expect(c.core(1).log.committed).toBe(3);
    for (const id of [1, 2, 3]) expect(c.node(id).recorded).toEqual(['x']);
  });
});

describe('term and vote are durable before the node answers', () => {
  it('every Ready that grants a vote carries the vote in its hard state', () => {
    const c = new TestCluster([1, 2, 3], { config: { preVote: false } });
    c.core(1).campaign();
    c.processReady(c.node(1));
    c.deliverAll();
    const grants = c.node(2).readies.filter((rd) => rd.messages.some((m) => m.type === 'voteResp' && !m.reject));
    expect(grants).toHaveLength(1);
    expect(grants[0]!.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
  });

  it('a voter that crashes and restarts does not vote twice in one term', () => {
    const c = new TestCluster([1, 2, 3], { config: { preVote: false, checkQuorum: false } });
    c.core(1).campaign();
    c.processReady(c.node(1));
    // Node 2 grants its vote; node 1 never hears back.
    const toTwo = c.queue.find((m) => m.to === 2)!;
    c.dropQueued();
    c.stepInto(2, toTwo);
    expect(c.queue.some((m) => m.type === 'voteResp' && !m.reject)).toBe(true);
    c.dropQueued();
    c.restart(2);
    expect(c.core(2).term).toBe(1);
    expect(c.core(2).vote).toBe(1);
    // Node 3 campaigns in the same term 1 (it missed node 1's request): node 2 must refuse.
    c.stepInto(2, { type: 'vote', from: 3, to: 2, term: 1, index: 0, logTerm: 0, transfer: false });
    const resp = c.queue.find((m) => m.type === 'voteResp');
    expect(resp).toMatchObject({ to: 3, reject: true });
  });

  it('the harness refuses a vote whose Ready was not saved first', () => {
    const c = new TestCluster([1, 2, 3], { config: { preVote: false } });
    c.core(1).campaign();
    c.processReady(c.node(1));
    const req = c.queue.find((m) => m.to === 2)!;
    c.node(2).core.step(req);
    const rd = c.node(2).core.ready();
    // A broken member that sends first: nothing durable yet in node 2's store.
    const check = (c as unknown as { checkPersistedBeforeSend(n: unknown, r: unknown): void }).checkPersistedBeforeSend;
    expect(() => check.call(c, c.node(2), rd)).toThrow(/durable/);
  });
});

describe('truncation happens only on a real conflict', () => {
  it('a delayed, duplicated AppendEntries does not cut off newer entries', () => {
    const c = new TestCluster([1, 2, 3, 4, 5]);
    expect(c.elect(1)).toBe(true);
    // Without 3, 4 and 5 nothing new commits, so node 2 must really process the stale message
    // (anything at or below its commit index is answered without touching the log).
    c.partition([1, 2], [3, 4, 5]);
    c.propose(1, 'a');
    const stale = c.queue.find((m) => isApp(m) && m.to === 2)!;
    c.deliverAll();
    for (const v of ['b', 'c', 'd']) c.propose(1, v);
    c.deliverAll();
    expect(c.core(2).log.committed).toBe(1);
    expect(c.core(2).log.lastIndex()).toBe(5);
    c.stepInto(2, stale);
    expect(c.core(2).log.lastIndex()).toBe(5);
    expect(c.core(2).log.slice(2, 6, Infinity).map((e) => Buffer.from(e.data).toString())).toEqual(['a', 'b', 'c', 'd']);
    // And it still acknowledges the prefix it was asked about, so the leader is not confused.
    expect(c.queue.at(-1)).toMatchObject({ type: 'appResp', to: 1, reject: false, index: 2 });
  });

  it('a conflicting suffix from an old term is replaced by the new leader', () => {
    const c = new TestCluster([1, 2, 3], { config: { preVote: false, checkQuorum: false } });
    expect(c.elect(1)).toBe(true);
    c.isolate(1);
    c.propose(1, 'lost-1');
    c.propose(1, 'lost-2');
    c.deliverAll();
    expect(c.core(1).log.lastIndex()).toBe(3);
    c.heal();
    c.isolate(1);
    expect(c.elect(2)).toBe(true);
    c.propose(2, 'kept');
    c.deliverAll();
    c.heal();
    c.tick(2);
    c.deliverAll();
    expect(c.core(1).state).toBe('follower');
    expect(c.core(1).log.term(2)).toBe(c.core(2).term);
    expect(c.node(1).recorded).toEqual(['kept']);
  });
});

describe('a stale leader cannot serve reads', () => {
  it('ReadIndex at a partitioned leader never completes, and CheckQuorum makes it step down', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.propose(1, 'v1');
    c.deliverAll();
    c.isolate(1);
    const newLeader = runUntilNewLeader(c, 1);
    c.propose(newLeader, 'v2');
    c.deliverAll();
    // The old leader may still think it leads: a read there must not return the stale v1.
    if (c.core(1).state === 'leader') c.core(1).readIndex(ctx('r1'));
    c.processReady(c.node(1));
    c.deliverAll();
    expect(c.node(1).readStates).toEqual([]);
    c.tick(1, 30);
    c.deliverAll();
    expect(c.core(1).state).not.toBe('leader');
    expect(c.node(1).readStates).toEqual([]);
  });

  it('without CheckQuorum a cut-off leader keeps believing it leads, yet safe ReadIndex still refuses', () => {
    const c = new TestCluster([1, 2, 3], { config: { checkQuorum: false } });
    expect(c.elect(1)).toBe(true);
    c.isolate(1);
    runUntilNewLeader(c, 1);
    expect(c.core(1).state).toBe('leader');
    c.core(1).readIndex(ctx('r'));
    for (let i = 0; i < 20; i++) {
      c.tick(1);
      c.deliverAll();
    }
    expect(c.node(1).readStates).toEqual([]);
  });

  it('a ReadIndex served by the current leader sees the latest committed write', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.propose(1, 'w');
    c.deliverAll();
    c.core(3).readIndex(ctx('from-3'));
    c.processReady(c.node(3));
    c.deliverAll();
    expect(c.node(3).readStates).toEqual([{ index: c.core(1).log.committed, context: ctx('from-3') }]);
  });

  it('a lease read is refused once CheckQuorum has deposed the leader', () => {
    const c = new TestCluster([1, 2, 3], { config: { readOnly: 'leaseBased' } });
    expect(c.elect(1)).toBe(true);
    c.isolate(1);
    c.tick(1, 30);
    c.deliverAll();
    expect(c.core(1).state).not.toBe('leader');
    expect(() => c.core(1).readIndex(ctx('lease'))).toThrow(NotLeaderError);
  });

  it('followers in a live leader lease ignore a campaign, so a lease read cannot be outdated by a new leader', () => {
    const c = new TestCluster([1, 2, 3], { config: { readOnly: 'leaseBased', preVote: false } });
    expect(c.elect(1)).toBe(true);
    // Node 3 campaigns straight away (as if its clock ran fast); 1 and 2 are within the lease.
    c.core(3).campaign();
    c.processReady(c.node(3));
    c.deliverAll();
    expect(c.core(1).state).toBe('leader');
    expect(c.core(3).state).not.toBe('leader');
  });
});

describe('a partitioned old leader cannot commit', () => {
  it('its proposals stay uncommitted and are discarded after the partition heals', () => {
    const c = new TestCluster([1, 2, 3, 4, 5]);
    expect(c.elect(1)).toBe(true);
    c.partition([1, 2], [3, 4, 5]);
    c.propose(1, 'minority');
    c.deliverAll();
    expect(c.core(2).log.lastIndex()).toBe(2);
    const committedBefore = c.core(1).log.committed;
    const newLeader = runUntilNewLeader(c, 1);
    expect([3, 4, 5]).toContain(newLeader);
    c.propose(newLeader, 'majority');
    c.deliverAll();
    for (let i = 0; i < 5; i++) {
      c.tick(1);
      c.deliverAll();
    }
    expect(c.core(1).log.committed).toBe(committedBefore);
    c.heal();
    for (let i = 0; i < 40; i++) {
      c.tickAll();
      c.deliverAll();
    }
    for (const id of [1, 2, 3, 4, 5]) expect(c.node(id).recorded).toEqual(['majority']);
  });
});

describe('a removed member cannot disrupt the group', () => {
  function removeThree(preVote: boolean): { c: TestCluster; leaderTerm: number } {
    // CheckQuorum's lease would hide the effect under test; PreVote alone must protect the group.
    const c = new TestCluster([1, 2, 3], { config: { preVote, checkQuorum: false } });
    expect(c.elect(1)).toBe(true);
    c.isolate(3);
    c.core(1).proposeConfChange({ type: 'remove', nodeId: 3 });
    c.processReady(c.node(1));
    c.deliverAll();
    c.tick(1);
    c.deliverAll();
    expect(c.core(1).confState().voters).toEqual([1, 2]);
    expect(c.core(3).confState().voters).toEqual([1, 2, 3]); // it never learned
    // Node 3 times out again and again while cut off, then the partition heals.
    for (let i = 0; i < 60; i++) c.tick(3);
    c.dropQueued();
    c.heal();
    const leaderTerm = c.core(1).term;
    for (let i = 0; i < 30; i++) {
      c.tickAll();
      c.deliverAll();
    }
    return { c, leaderTerm };
  }

  it('with PreVote the leader and its term are untouched', () => {
    const { c, leaderTerm } = removeThree(true);
    expect(c.core(3).term).toBe(leaderTerm);
    expect(c.core(1).state).toBe('leader');
    expect(c.core(1).term).toBe(leaderTerm);
  });

  it('control: without PreVote the same schedule does force a new election', () => {
    const { c, leaderTerm } = removeThree(false);
    expect(c.core(1).term).toBeGreaterThan(leaderTerm);
  });
});

describe('the commit index never goes backwards', () => {
  it('a reordered heartbeat or AppendEntries with an older commit does not lower it', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.propose(1, 'a');
    const oldApp = c.queue.find((m) => isApp(m) && m.to === 2)!;
    c.deliverAll();
    c.tick(1);
    const oldBeat = c.queue.find((m) => m.type === 'heartbeat' && m.to === 2)!;
    c.deliverAll();
    c.propose(1, 'b');
    c.deliverAll();
    c.tick(1);
    c.deliverAll();
    const committed = c.core(2).log.committed;
    expect(committed).toBe(3);
    c.stepInto(2, oldBeat);
    c.stepInto(2, oldApp);
    expect(c.core(2).log.committed).toBe(committed);
  });

  it('survives restarts of every node (the harness checks each Ready)', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    for (let i = 0; i < 5; i++) c.propose(1, `v${i}`);
    c.deliverAll();
    c.tick(1);
    c.deliverAll();
    const commits = [1, 2, 3].map((id) => c.core(id).log.committed);
    for (const id of [1, 2, 3]) c.restart(id);
    [1, 2, 3].forEach((id, i) => expect(c.core(id).log.committed).toBe(commits[i]));
    runUntilNewLeader(c, 0);
    [1, 2, 3].forEach((id, i) => expect(c.core(id).log.committed).toBeGreaterThanOrEqual(commits[i]!));
    for (const id of [1, 2, 3]) expect(c.node(id).recorded).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });
});
