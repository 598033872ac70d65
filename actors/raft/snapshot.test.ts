import { describe, expect, it } from 'vitest';
import type { Message, SnapMsg } from './messages.js';
import { TestCluster } from './testing/cluster.js';

const isSnap = (m: Message): m is SnapMsg => m.type === 'snap';

function behindFollower(chunkBytes: number): TestCluster {
  const c = new TestCluster([1, 2, 3], { config: { snapshotChunkBytes: chunkBytes } });
  expect(c.elect(1)).toBe(true);
  c.isolate(3);
  for (let i = 0; i < 30; i++) c.propose(1, `value-${i}`);
  c.deliverAll();
  c.tick(1);
  c.deliverAll();
  c.compact(1, 0);
  expect(c.core(1).log.firstIndex()).toBe(c.core(1).log.applied + 1);
  c.heal();
  return c;
}

describe('snapshots and InstallSnapshot', () => {
  it('a follower behind the compacted log gets the snapshot streamed in chunks and catches up', () => {
    const c = behindFollower(64);
    const chunks: SnapMsg[] = [];
    c.addFilter((m) => {
      if (isSnap(m)) chunks.push(m);
      return true;
    });
    c.tick(1);
    c.deliverAll();
    const total = chunks[0]!.totalBytes;
    expect(total).toBeGreaterThan(64 * 3);
    expect(chunks.length).toBe(Math.ceil(total / 64));
    expect(chunks.map((m) => m.offset)).toEqual(chunks.map((_, i) => i * 64));
    expect(c.node(3).recorded).toEqual(c.node(1).recorded);
    expect(c.core(1).status().progress.get(3)?.state).toBe('replicate');
    // And it takes new entries normally afterwards.
    c.propose(1, 'after');
    c.deliverAll();
    expect(c.node(3).recorded.at(-1)).toBe('after');
  });

  it('the leader moves the follower to the snapshot state and stops appending to it', () => {
    const c = behindFollower(1 << 20);
    c.addFilter((m) => !isSnap(m));
    c.tick(1);
    c.deliverAll();
    expect(c.core(1).status().progress.get(3)?.state).toBe('snapshot');
    c.propose(1, 'more');
    expect(c.queue.some((m) => m.to === 3 && m.type === 'app')).toBe(false);
  });

  it('a lost chunk is resent once two heartbeat answers show no progress', () => {
    const c = behindFollower(64);
    let dropped = false;
    let sentAfterDrop = 0;
    c.addFilter((m) => {
      if (!isSnap(m)) return true;
      if (dropped) sentAfterDrop++;
      if (m.offset === 128 && !dropped) {
        dropped = true;
        return false;
      }
      return true;
    });
    c.tick(1);
    c.deliverAll();
    expect(dropped).toBe(true);
    expect(c.node(3).recorded).toEqual([]);
    // First answer after the loss: the chunk may just be slow, so nothing is resent yet.
    c.tick(1);
    c.deliverAll();
    expect(sentAfterDrop).toBe(0);
    c.tick(1);
    c.deliverAll();
    expect(sentAfterDrop).toBeGreaterThan(0);
    expect(c.node(3).recorded).toEqual(c.node(1).recorded);
  });

  it('a chunk out of order is refused and the leader restarts from where the follower is', () => {
    const c = behindFollower(64);
    c.tick(1);
    // Deliver heartbeats and their answers until the first chunk is queued.
    for (let i = 0; i < 10 && !c.queue.some(isSnap); i++) c.deliverOne();
    const first = c.queue.find(isSnap);
    expect(first?.offset).toBe(0);
    // A duplicate of a later chunk arrives before anything else.
    c.stepInto(3, { ...first!, offset: 128, chunk: first!.chunk });
    expect(c.queue.at(-1)).toMatchObject({ type: 'snapResp', nextOffset: 0 });
    c.deliverAll();
    c.tick(1);
    c.deliverAll();
    expect(c.node(3).recorded).toEqual(c.node(1).recorded);
  });

  it('a follower restarted after installing a snapshot comes back with the snapshot state', () => {
    const c = behindFollower(1024);
    c.tick(1);
    c.deliverAll();
    const before = [...c.node(3).recorded];
    c.restart(3);
    expect(c.node(3).recorded).toEqual(before);
    expect(c.core(3).log.committed).toBeGreaterThanOrEqual(c.node(3).store.snapshot().meta.index);
  });

  it('the snapshot carries the membership', () => {
    const c = behindFollower(1 << 20);
    c.tick(1);
    c.deliverAll();
    expect(c.node(3).store.snapshot().meta.confState.voters).toEqual([1, 2, 3]);
  });

  it('keeps entries behind the snapshot so a slightly late follower needs no snapshot', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(c.elect(1)).toBe(true);
    c.isolate(3);
    for (let i = 0; i < 10; i++) c.propose(1, `v${i}`);
    c.deliverAll();
    c.compact(1, 20);
    c.heal();
    const snaps: Message[] = [];
    c.addFilter((m) => {
      if (isSnap(m)) snaps.push(m);
      return true;
    });
    c.tick(1);
    c.deliverAll();
    expect(snaps).toEqual([]);
    expect(c.node(3).recorded).toHaveLength(10);
  });

  it('a late duplicate of an old snapshot does not roll back a follower that moved on', () => {
    const c = behindFollower(1 << 20);
    const snaps: SnapMsg[] = [];
    c.addFilter((m) => {
      if (isSnap(m)) snaps.push(m);
      return true;
    });
    c.tick(1);
    c.deliverAll();
    expect(snaps).toHaveLength(1);
    for (let i = 0; i < 5; i++) c.propose(1, `later-${i}`);
    c.deliverAll();
    const before = { last: c.core(3).log.lastIndex(), committed: c.core(3).log.committed, values: [...c.node(3).recorded] };
    c.stepInto(3, snaps[0]!);
    expect(c.core(3).log.lastIndex()).toBe(before.last);
    expect(c.core(3).log.committed).toBe(before.committed);
    expect(c.node(3).recorded).toEqual(before.values);
    // It answers with where it is, so the leader is not misled either.
    expect(c.queue.at(-1)).toMatchObject({ type: 'appResp', reject: false, index: before.committed });
  });
});
