import { describe, expect, it } from 'vitest';
import { TestCluster } from './cluster.js';

describe('TestCluster harness', () => {
  it('elects a leader and replicates a proposal to all', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.propose(1, 'a');
    c.deliverAll();
    for (const id of [1, 2, 3]) expect(c.node(id).recorded).toEqual(['a']);
  });

  it('elects someone by ticking alone', () => {
    const c = new TestCluster([1, 2, 3], { seed: 7 });
    for (let i = 0; i < 100 && c.leader() === undefined; i++) {
      c.tickAll();
      c.deliverAll();
    }
    expect(c.leader()).toBeDefined();
  });

  it('its persist-before-send check catches a vote sent before it is durable', () => {
    const c = new TestCluster([1, 2, 3], { config: { preVote: false } });
    c.core(1).campaign();
    const rd = c.core(1).ready();
    // Pretend a broken member sent the vote requests without saving the hard state.
    c.node(1).readies.push(rd);
    expect(() =>
      (c as unknown as { checkPersistedBeforeSend(n: unknown, r: unknown): void }).checkPersistedBeforeSend(c.node(1), rd),
    ).toThrow(/durable term/);
  });
});
