import { describe, expect, it } from 'vitest';
import { SeededRandom, type Random } from '../../runtime/random.js';
import { MemoryLogStore } from '../../storage/raft-log/memory.js';
import { RaftCore } from './core.js';
import { RaftConfigError } from './errors.js';
import { TestCluster } from './testing/cluster.js';

/** A Random that replays a fixed script of values, to pin election timeouts exactly. */
class ScriptedRandom implements Random {
  calls = 0;
  constructor(private readonly values: number[]) {}
  next(): number {
    return this.values[this.calls++ % this.values.length]!;
  }
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }
  bytes(n: number): Uint8Array {
    return new Uint8Array(n);
  }
}

function ticksToCampaign(random: Random, electionTicks = 10): number {
  const core = new RaftCore({ id: 1, peers: [1, 2, 3], electionTicks, preVote: false }, new MemoryLogStore(), random);
  for (let t = 1; t <= 4 * electionTicks; t++) {
    core.tick();
    if (core.state === 'candidate') return t;
  }
  return -1;
}

describe('leader election', () => {
  it('the election timeout is drawn from the injected Random in [election, 2*election)', () => {
    expect(ticksToCampaign(new ScriptedRandom([0]))).toBe(10);
    expect(ticksToCampaign(new ScriptedRandom([0.999]))).toBe(19);
    expect(ticksToCampaign(new ScriptedRandom([0.5]))).toBe(15);
  });

  it('different seeds spread the timeouts (split votes resolve)', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 30; seed++) seen.add(ticksToCampaign(new SeededRandom(seed)));
    expect(seen.size).toBeGreaterThan(4);
    for (const t of seen) expect(t >= 10 && t < 20).toBe(true);
  });

  it('a candidate that gets a majority becomes leader and appends an empty entry of its term', () => {
    const c = new TestCluster([1, 2, 3], { config: { preVote: false } });
    expect(c.elect(2)).toBe(true);
    expect(c.core(2).term).toBe(1);
    expect(c.core(2).log.lastIndex()).toBe(1);
    expect(c.core(2).log.term(1)).toBe(1);
    for (const id of [1, 3]) expect(c.core(id).lead).toBe(2);
  });

  it('a node votes for at most one candidate per term', () => {
    const c = new TestCluster([1, 2, 3], { config: { preVote: false } });
    c.stepInto(3, { type: 'vote', from: 1, to: 3, term: 1, index: 0, logTerm: 0, transfer: false });
    c.stepInto(3, { type: 'vote', from: 2, to: 3, term: 1, index: 0, logTerm: 0, transfer: false });
    const resp = c.queue.filter((m) => m.type === 'voteResp');
    expect(resp.map((m) => [m.to, m.type === 'voteResp' && m.reject])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it('a node refuses a candidate whose log is behind (§5.4.1)', () => {
    const c = new TestCluster([1, 2, 3], { config: { preVote: false, checkQuorum: false } });
    expect(c.elect(1)).toBe(true);
    c.propose(1, 'x');
    c.deliverAll();
    c.stepInto(2, { type: 'vote', from: 3, to: 2, term: 5, index: 1, logTerm: 1, transfer: false });
    expect(c.queue.find((m) => m.type === 'voteResp')).toMatchObject({ reject: true, term: 5 });
  });

  it('a split vote is retried in a later term', () => {
    const c = new TestCluster([1, 2, 3, 4], { config: { preVote: false, checkQuorum: false } });
    c.core(1).campaign();
    c.core(2).campaign();
    c.processReady(c.node(1));
    c.processReady(c.node(2));
    c.dropQueued((m) => m.to === 3 || m.to === 4);
    c.deliverAll();
    expect(c.leader()).toBeUndefined();
    for (let i = 0; i < 100 && c.leader() === undefined; i++) {
      c.tickAll();
      c.deliverAll();
    }
    expect(c.leader()).toBeDefined();
    expect(c.core(c.leader()!).term).toBeGreaterThan(1);
  });

  it('learners never campaign', () => {
    const c = new TestCluster([1, 2, 3], { learners: [3] });
    c.tick(3, 100);
    expect(c.core(3).state).toBe('follower');
    expect(c.queue).toEqual([]);
  });

  it('a single-node group elects itself at once', () => {
    const c = new TestCluster([1]);
    expect(c.elect(1)).toBe(true);
    c.propose(1, 'solo');
    expect(c.node(1).recorded).toEqual(['solo']);
  });

  it('rejects a lease-based read configuration without CheckQuorum', () => {
    expect(
      () => new RaftCore({ id: 1, peers: [1], readOnly: 'leaseBased', checkQuorum: false }, new MemoryLogStore(), new SeededRandom(1)),
    ).toThrow(RaftConfigError);
  });
});

describe('PreVote', () => {
  it('a PreVote round does not bump anyone term', () => {
    const c = new TestCluster([1, 2, 3]);
    c.core(1).campaign();
    c.processReady(c.node(1));
    expect(c.core(1).state).toBe('preCandidate');
    expect(c.core(1).term).toBe(0);
    const req = c.queue.find((m) => m.type === 'preVote')!;
    expect(req.term).toBe(1);
    c.deliverAll();
    expect(c.core(1).state).toBe('leader');
    expect(c.core(1).term).toBe(1);
  });

  it('an isolated node keeps its term while it times out over and over', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.isolate(3);
    for (let i = 0; i < 100; i++) {
      c.tickAll();
      c.deliverAll();
    }
    expect(c.core(3).term).toBe(1);
    c.heal();
    for (let i = 0; i < 5; i++) {
      c.tickAll();
      c.deliverAll();
    }
    expect(c.core(1).state).toBe('leader');
    expect(c.core(1).term).toBe(1);
    expect(c.core(3).lead).toBe(1);
  });

  it('control: without PreVote the isolated node inflates its term and deposes the leader on return', () => {
    const c = new TestCluster([1, 2, 3], { config: { preVote: false, checkQuorum: false } });
    expect(c.elect(1)).toBe(true);
    c.isolate(3);
    for (let i = 0; i < 100; i++) {
      c.tickAll();
      c.deliverAll();
    }
    expect(c.core(3).term).toBeGreaterThan(2);
    c.heal();
    for (let i = 0; i < 30; i++) {
      c.tickAll();
      c.deliverAll();
    }
    expect(c.core(1).term).toBeGreaterThan(2);
  });
});

describe('CheckQuorum', () => {
  it('a leader that hears from no quorum for an election timeout steps down', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.isolate(1);
    c.tick(1, 9);
    expect(c.core(1).state).toBe('leader');
    c.tick(1, 11);
    expect(c.core(1).state).not.toBe('leader');
  });

  it('a leader with one live follower of two stays', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.isolate(3);
    for (let i = 0; i < 50; i++) {
      c.tick(1);
      c.tick(2);
      c.deliverAll();
    }
    expect(c.core(1).state).toBe('leader');
  });
});
