import { describe, expect, it } from 'vitest';
import { ProposalDroppedError } from './errors.js';
import type { Message } from './messages.js';
import { TestCluster } from './testing/cluster.js';

const ctx = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

describe('leadership transfer', () => {
  it('hands leadership to an up-to-date follower with TimeoutNow, skipping PreVote', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    const seen: Message['type'][] = [];
    c.addFilter((m) => {
      seen.push(m.type);
      return true;
    });
    c.core(1).transferLeadership(3);
    c.processReady(c.node(1));
    c.deliverAll();
    expect(c.core(3).state).toBe('leader');
    expect(c.core(3).term).toBe(2);
    expect(c.core(1).state).toBe('follower');
    expect(seen).toContain('timeoutNow');
    expect(seen).not.toContain('preVote');
  });

  it('catches a lagging transferee up first', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.isolate(3);
    for (let i = 0; i < 5; i++) c.propose(1, `v${i}`);
    c.deliverAll();
    c.heal();
    c.core(1).transferLeadership(3);
    c.processReady(c.node(1));
    expect(c.queue.some((m) => m.type === 'timeoutNow')).toBe(false);
    c.deliverAll();
    expect(c.core(3).state).toBe('leader');
    expect(c.node(3).recorded).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('drops proposals while a transfer is in progress, and gives up after an election timeout', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.isolate(3);
    c.core(1).transferLeadership(3);
    c.processReady(c.node(1));
    expect(() => c.propose(1, 'x')).toThrow(ProposalDroppedError);
    for (let i = 0; i < 10; i++) {
      c.tick(1);
      c.deliverAll();
    }
    expect(c.core(1).state).toBe('leader');
    expect(c.core(1).leadTransferee).toBe(0);
    c.propose(1, 'x');
  });

  it('a transfer request at a follower is forwarded to the leader', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.core(2).transferLeadership(2);
    c.processReady(c.node(2));
    c.deliverAll();
    expect(c.core(2).state).toBe('leader');
  });
});

describe('ReadIndex', () => {
  it('the leader answers after one heartbeat round with its commit index', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.propose(1, 'a');
    c.deliverAll();
    c.core(1).readIndex(ctx('r1'));
    c.processReady(c.node(1));
    expect(c.node(1).readStates).toEqual([]);
    expect(c.queue.filter((m) => m.type === 'heartbeat')).toHaveLength(2);
    c.deliverAll();
    expect(c.node(1).readStates).toEqual([{ index: 2, context: ctx('r1') }]);
  });

  it('one acknowledgement from a majority confirms all reads queued before it', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.core(1).readIndex(ctx('a'));
    c.core(1).readIndex(ctx('b'));
    c.processReady(c.node(1));
    // Only the heartbeats for "b" get through.
    const hbs = c.queue.filter((m) => m.type === 'heartbeat');
    c.dropQueued((m) => m.type === 'heartbeat' && Buffer.from(m.context).toString() === 'a');
    expect(hbs).toHaveLength(4);
    c.deliverAll();
    expect(c.node(1).readStates.map((r) => Buffer.from(r.context).toString())).toEqual(['a', 'b']);
  });

  it('a new leader holds reads until an entry of its own term commits', () => {
    const c = new TestCluster([1, 2, 3]);
    c.core(1).campaign();
    c.processReady(c.node(1));
    c.addFilter((m) => m.type !== 'app');
    c.deliverAll();
    expect(c.core(1).state).toBe('leader');
    c.core(1).readIndex(ctx('early'));
    c.processReady(c.node(1));
    c.deliverAll();
    expect(c.node(1).readStates).toEqual([]);
    c.heal();
    c.tick(1);
    c.deliverAll();
    c.tick(1);
    c.deliverAll();
    expect(c.node(1).readStates).toEqual([{ index: 1, context: ctx('early') }]);
  });

  it('lease-based reads answer at once while a quorum answered a recent heartbeat', () => {
    const c = new TestCluster([1, 2, 3], { config: { readOnly: 'leaseBased' } });
    expect(c.elect(1)).toBe(true);
    c.tick(1);
    c.deliverAll();
    c.core(1).readIndex(ctx('lease'));
    c.processReady(c.node(1));
    expect(c.node(1).readStates).toEqual([{ index: 1, context: ctx('lease') }]);
    expect(c.queue.filter((m) => m.type === 'heartbeat')).toHaveLength(0);
  });

  it('without a fresh quorum of heartbeat answers a lease read falls back to a heartbeat round', () => {
    const c = new TestCluster([1, 2, 3], { config: { readOnly: 'leaseBased', checkQuorum: true } });
    expect(c.elect(1)).toBe(true);
    c.tick(1);
    c.deliverAll();
    // The last answered heartbeat was sent at leader tick 1; the lease (10 - 2 margin ticks)
    // covers ticks up to 9. At tick 10 it has run out, while CheckQuorum has not yet deposed the leader.
    c.isolate(1);
    c.tick(1, 9);
    c.dropQueued();
    expect(c.core(1).state).toBe('leader');
    c.core(1).readIndex(ctx('late'));
    c.processReady(c.node(1));
    expect(c.node(1).readStates).toEqual([]);
    expect(c.queue.filter((m) => m.type === 'heartbeat')).toHaveLength(2);
  });

  it('a fresh leader has no lease until its first heartbeat round is answered', () => {
    const c = new TestCluster([1, 2, 3], { config: { readOnly: 'leaseBased' } });
    expect(c.elect(1)).toBe(true);
    c.core(1).readIndex(ctx('first'));
    c.processReady(c.node(1));
    expect(c.node(1).readStates).toEqual([]);
    c.deliverAll();
    expect(c.node(1).readStates).toEqual([{ index: 1, context: ctx('first') }]);
  });

  it('a single-node group answers reads at once', () => {
    const c = new TestCluster([1]);
    expect(c.elect(1)).toBe(true);
    c.core(1).readIndex(ctx('solo'));
    c.processReady(c.node(1));
    expect(c.node(1).readStates).toEqual([{ index: 1, context: ctx('solo') }]);
  });
});
