import { describe, expect, it } from 'vitest';
import { ProposalDroppedError, NotLeaderError } from './errors.js';
import type { AppMsg, Message } from './messages.js';
import { TestCluster } from './testing/cluster.js';

const isApp = (m: Message): m is AppMsg => m.type === 'app';
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

describe('log replication', () => {
  it('a follower moves from probe to replicate after its first acknowledgement', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    const pr = c.core(1).status().progress;
    expect(pr.get(2)?.state).toBe('replicate');
    expect(pr.get(2)?.match).toBe(1);
  });

  it('batches proposals made before a Ready into one AppendEntries', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    // Proposals taken in one step: the member proposes a batch of client writes at once.
    c.core(1).step({
      type: 'prop',
      from: 1,
      to: 1,
      term: 0,
      entries: ['a', 'b', 'c'].map((v) => ({ type: 'normal' as const, data: bytes(v) })),
    });
    c.processReady(c.node(1));
    const apps = c.queue.filter(isApp);
    expect(apps).toHaveLength(2);
    expect(apps[0]!.entries.map((e) => e.index)).toEqual([2, 3, 4]);
    // One Ready holds all three for the single durable commit.
    expect(c.node(1).readies.at(-1)!.entries).toHaveLength(3);
  });

  it('sends proposals made while its own Ready persists to the followers at once (takeEarlyMessages)', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    const leader = c.core(1);
    leader.propose(bytes('a'));
    const rd = leader.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([2]);
    // The persist of rd is running; a second proposal arrives.
    leader.propose(bytes('b'));
    expect(leader.hasReady()).toBe(false);
    const early = leader.takeEarlyMessages().filter(isApp);
    expect(early.map((m) => m.to).sort()).toEqual([2, 3]);
    expect(early.every((m) => m.entries.map((e) => e.index).join() === '3')).toBe(true);
    // Nothing is sent twice: the next Ready persists entry 3 but has no AppendEntries for it.
    leader.advance(rd);
    const next = leader.ready();
    expect(next.entries.map((e) => e.index)).toEqual([3]);
    expect([...next.earlyMessages, ...next.messages].filter(isApp).filter((m) => m.entries.length > 0)).toEqual([]);
    leader.advance(next);
  });

  it('sends nothing early while no Ready is outstanding, or from a follower', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.core(1).propose(bytes('a'));
    expect(c.core(1).takeEarlyMessages()).toEqual([]);
    expect(c.core(2).takeEarlyMessages()).toEqual([]);
  });

  it('pipelines several AppendEntries without waiting, up to maxInflightMsgs', () => {
    const c = new TestCluster([1, 2], { config: { maxInflightMsgs: 3 } });
    expect(c.elect(1)).toBe(true);
    for (let i = 0; i < 5; i++) c.propose(1, `v${i}`);
    const apps = c.queue.filter((m) => isApp(m) && m.to === 2);
    expect(apps).toHaveLength(3);
    expect(c.core(1).status().progress.get(2)?.inflight).toBe(3);
    c.deliverAll();
    expect(c.node(2).recorded).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    expect(c.core(1).status().progress.get(2)?.inflight).toBe(0);
  });

  it('caps the bytes in flight to one follower', () => {
    const c = new TestCluster([1, 2], { config: { maxInflightBytes: 240, maxInflightMsgs: 100 } });
    expect(c.elect(1)).toBe(true);
    for (let i = 0; i < 5; i++) c.propose(1, 'x'.repeat(100));
    // Each message carries 124 accounted bytes; after two the window (240) is full.
    expect(c.queue.filter((m) => isApp(m) && m.to === 2)).toHaveLength(2);
    c.deliverAll();
    expect(c.node(2).recorded).toHaveLength(5);
  });

  it('limits entries per AppendEntries by count and by bytes', () => {
    const c = new TestCluster([1, 2], { config: { maxEntriesPerAppend: 2, maxInflightMsgs: 1 } });
    expect(c.elect(1)).toBe(true);
    c.isolate(2);
    for (let i = 0; i < 6; i++) c.propose(1, `v${i}`);
    c.dropQueued();
    c.heal();
    // The lost message holds the only in-flight slot; two heartbeat rounds without progress reclaim it.
    c.tick(1);
    c.deliverAll();
    c.tick(1);
    const sizes: number[] = [];
    for (let i = 0; i < 200 && c.queue.length > 0; i++) {
      const m = c.deliverOne();
      if (m && isApp(m) && m.entries.length > 0) sizes.push(m.entries.length);
    }
    expect(Math.max(...sizes)).toBe(2);
    expect(c.node(2).recorded).toHaveLength(6);
  });

  it('fast backtracking skips a whole divergent term per round trip', () => {
    const c = new TestCluster([1, 2, 3], { config: { preVote: false, checkQuorum: false } });
    // Node 2 leads term 1 and writes 50 entries nobody else gets.
    expect(c.elect(2)).toBe(true);
    c.isolate(2);
    for (let i = 0; i < 50; i++) c.propose(2, `stale${i}`);
    // Node 1 leads term 2 and writes 50 entries with node 3; node 3 then leads term 3,
    // so its first probe to node 2 starts at index 53, far above the divergence at 2.
    expect(c.elect(1)).toBe(true);
    for (let i = 0; i < 50; i++) c.propose(1, `good${i}`);
    c.deliverAll();
    expect(c.elect(3)).toBe(true);
    c.heal();
    const rejects: Message[] = [];
    c.addFilter((m) => {
      if (m.type === 'appResp' && m.from === 2 && m.reject) rejects.push(m);
      return true;
    });
    c.tick(3);
    c.deliverAll();
    c.tick(3);
    c.deliverAll();
    expect(c.node(2).recorded).toHaveLength(50);
    expect(c.node(2).recorded).toEqual(c.node(3).recorded);
    // Decrementing one index per rejection would take about 50 round trips.
    expect(rejects.length).toBe(1);
  });

  it('a follower that was offline catches up from where it stopped', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.isolate(3);
    for (let i = 0; i < 20; i++) c.propose(1, `v${i}`);
    c.deliverAll();
    expect(c.core(1).status().progress.get(3)?.state).not.toBe('snapshot');
    c.heal();
    c.tick(1);
    c.deliverAll();
    expect(c.node(3).recorded).toHaveLength(20);
  });
});

describe('transport reports', () => {
  it('an unreachable follower in replicate state drops back to probing', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    expect(c.core(1).status().progress.get(2)?.state).toBe('replicate');
    c.core(1).reportUnreachable(2);
    expect(c.core(1).status().progress.get(2)?.state).toBe('probe');
  });

  it('a failed snapshot send returns the follower to probing, paused until it answers a heartbeat', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.isolate(3);
    for (let i = 0; i < 5; i++) c.propose(1, `v${i}`);
    c.deliverAll();
    c.compact(1, 0);
    c.heal();
    c.addFilter((m) => m.type !== 'snap');
    c.tick(1);
    c.deliverAll();
    expect(c.core(1).status().progress.get(3)?.state).toBe('snapshot');
    c.core(1).reportSnapshot(3, false);
    expect(c.core(1).status().progress.get(3)?.state).toBe('probe');
    c.processReady(c.node(1));
    expect(c.queue.filter((m) => m.to === 3)).toEqual([]);
    c.heal();
    c.tick(1);
    c.deliverAll();
    expect(c.node(3).recorded).toHaveLength(5);
  });
});

describe('sending before the own fsync', () => {
  it("a leader's appends go out early, but not in the Ready that makes its new term durable", () => {
    const c = new TestCluster([1, 2], { learners: [2] });
    const core = c.core(1);
    core.campaign();
    // Single voter: it is leader at once; its term and vote are still in flight to disk.
    const first = core.ready();
    expect(first.hardState).toMatchObject({ term: 1, vote: 1 });
    expect(first.earlyMessages).toEqual([]);
    expect(first.messages.some((m) => m.type === 'app' && m.to === 2)).toBe(true);
    void c.node(1).store.save({ hardState: first.hardState, entries: first.entries });
    core.advance(first);
    // The learner accepts the leader's first entry: it moves to replicate, so appends stream.
    core.step({ type: 'appResp', from: 2, to: 1, term: 1, index: 1, reject: false, hintIndex: 0, hintTerm: 0 });
    core.propose(bytes('x'));
    const second = core.ready();
    expect(second.earlyMessages.some((m) => m.type === 'app' && m.to === 2)).toBe(true);
    expect(second.mustSync).toBe(true);
  });

  it('the leader counts its own entry toward commit only after advance', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    const core = c.core(1);
    core.propose(bytes('x'));
    const rd = core.ready();
    // One follower acknowledges before the leader's own write completes: one of three is not a
    // majority, so nothing commits until the leader's write is durable too.
    core.step({ type: 'appResp', from: 2, to: 1, term: 1, index: 2, reject: false, hintIndex: 0, hintTerm: 0 });
    expect(core.log.committed).toBe(1);
    void c.node(1).store.save({ entries: rd.entries });
    core.advance(rd);
    expect(core.log.committed).toBe(2);
  });
});

describe('proposals', () => {
  it('a follower forwards proposals to the leader', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.propose(3, 'via-3');
    expect(c.queue).toMatchObject([{ type: 'prop', from: 3, to: 1, term: 0 }]);
    c.deliverAll();
    c.tick(1);
    c.deliverAll();
    for (const id of [1, 2, 3]) expect(c.node(id).recorded).toEqual(['via-3']);
  });

  it('with forwarding disabled a follower answers NotLeaderError naming the leader', () => {
    const c = new TestCluster([1, 2, 3], { config: { disableProposalForwarding: true } });
    expect(c.elect(1)).toBe(true);
    let err: unknown;
    try {
      c.propose(2, 'x');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotLeaderError);
    expect((err as NotLeaderError).leaderId).toBe(1);
  });

  it('with no leader known a proposal is dropped with a typed error', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(() => c.propose(2, 'x')).toThrow(ProposalDroppedError);
  });

  it('a leader drops proposals once too many bytes are uncommitted', () => {
    const c = new TestCluster([1, 2, 3], { config: { maxUncommittedBytes: 300 } });
    expect(c.elect(1)).toBe(true);
    c.isolate(1);
    c.propose(1, 'x'.repeat(100));
    c.propose(1, 'x'.repeat(100));
    expect(() => c.propose(1, 'x'.repeat(100))).toThrow(/uncommitted/);
  });
});
