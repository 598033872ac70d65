import { describe, expect, it } from 'vitest';
import { RequestOutcomeUnknownError } from './errors.js';
import type { ConfChangeReply } from './member-messages.js';
import { nodeName, SimGroup } from './testing/sim-group.js';

const v = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString());

describe('RaftMember in the simulator', () => {
  it('elects a leader, applies writes on every member and serves linearizable reads', async () => {
    const g = new SimGroup({ seed: 11, size: 3 });
    await g.sim.runFor(3000);
    expect(await g.leader()).toBeDefined();
    const client = g.client();
    expect((await g.run(client.put('a', v('1')))).ok).toBe(true);
    expect((await g.run(client.put('b', v('2')))).ok).toBe(true);
    const got = await g.run(client.get('a'));
    expect(got.ok && text(got.value)).toBe('1');
    const range = await g.run(client.range('a', 'z'));
    expect(range.ok && range.value.map(([k, val]) => `${k}=${text(val)}`)).toEqual(['a=1', 'b=2']);
    expect((await g.run(client.delete('a'))).ok).toBe(true);
    const gone = await g.run(client.get('a'));
    expect(gone.ok && gone.value).toBeNull();
    await g.sim.runFor(500);
    for (const id of g.ids) expect(g.store(id).lastIndex()).toBe(g.store(1).lastIndex());
  });

  it('survives the crash of the leader; acknowledged writes are kept', async () => {
    const g = new SimGroup({ seed: 12, size: 3 });
    await g.sim.runFor(3000);
    const client = g.client();
    expect((await g.run(client.put('k', v('before')))).ok).toBe(true);
    const leader = (await g.leader())!;
    g.crash(leader);
    expect((await g.run(client.put('k2', v('after')))).ok).toBe(true);
    g.restart(leader);
    await g.sim.runFor(3000);
    const a = await g.run(client.get('k'));
    const b = await g.run(client.get('k2'));
    expect(a.ok && text(a.value)).toBe('before');
    expect(b.ok && text(b.value)).toBe('after');
  });

  it('groups the proposals that arrive during one fsync into one durable commit', async () => {
    const g = new SimGroup({ seed: 13, size: 3, fsyncMs: 2 });
    await g.sim.runFor(3000);
    const leader = (await g.leader())!;
    const clients = Array.from({ length: 20 }, () => g.client());
    for (const c of clients) await g.run(c.register());
    const before = g.store(leader).syncCount;
    const all = Promise.all(clients.map((c, i) => c.put(`k${i}`, v(String(i)))));
    expect((await g.run(all)).ok).toBe(true);
    const syncs = g.store(leader).syncCount - before;
    // One sync per proposal would be 20 or more.
    expect(syncs).toBeLessThan(10);
  });

  it('tells the followers the commit index soon after the last write, not only at the next heartbeat', async () => {
    // The leader holds back an entry-less AppendEntries (commitNoticeDelayMs) hoping the
    // next batch carries it; with no next write it still goes out, well before a heartbeat.
    const g = new SimGroup({ seed: 17, size: 3, tickMs: 100 });
    await g.sim.runFor(3000);
    const leader = (await g.leader())!;
    const client = g.client();
    expect((await g.run(client.put('last', v('1')))).ok).toBe(true);
    await g.sim.runFor(10);
    const applied = g.member(leader)!.status().applied;
    for (const id of g.ids) expect(g.member(id)!.status().applied).toBe(applied);
  });

  it('a minority side cannot take writes; the client gets a definite "unknown" instead of a false ack', async () => {
    const g = new SimGroup({ seed: 14, size: 3 });
    await g.sim.runFor(3000);
    const leader = (await g.leader())!;
    const others = g.ids.filter((id) => id !== leader).map(nodeName);
    g.sim.network.partition([nodeName(leader), 'client'], others);
    const client = g.client({ askTimeoutMs: 500, maxAttempts: 3 });
    const r = await g.run(client.put('x', v('1')));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toBeInstanceOf(RequestOutcomeUnknownError);
  });

  it('takes snapshots and brings a member that was down past the compaction point back via InstallSnapshot', async () => {
    const g = new SimGroup({ seed: 15, size: 3, snapshotEveryEntries: 20, snapshotCatchupEntries: 5 });
    await g.sim.runFor(3000);
    const client = g.client();
    const leader = (await g.leader())!;
    const victim = g.ids.find((id) => id !== leader)!;
    g.crash(victim);
    for (let i = 0; i < 60; i++) expect((await g.run(client.put(`k${i}`, v(String(i))))).ok).toBe(true);
    expect(g.store(leader).firstIndex()).toBeGreaterThan(g.store(victim).lastIndex() + 1);
    g.restart(victim);
    await g.sim.runFor(5000);
    expect(g.store(victim).snapshot().meta.index).toBeGreaterThan(0);
    expect(g.store(victim).lastIndex()).toBe(g.store(leader).lastIndex());
  });

  it('answers a membership change once it is applied, and sends others to the leader', async () => {
    const g = new SimGroup({ seed: 16, size: 3 });
    await g.sim.runFor(3000);
    const leader = (await g.leader())!;
    const follower = g.ids.find((id) => id !== leader)!;
    const ask = (to: number, change: { type: 'remove' | 'addVoter'; nodeId: number }) =>
      g.run(g.ref(to).ask<ConfChangeReply>({ kind: 'confChange', change }, { timeoutMs: 5000 }));
    const refused = await ask(follower, { type: 'remove', nodeId: follower });
    expect(refused).toMatchObject({ ok: true, value: { ok: false, code: 'NOT_LEADER', leaderId: leader } });
    const removed = await ask(leader, { type: 'remove', nodeId: follower });
    expect(removed.ok && removed.value).toEqual({ ok: true, confState: { voters: g.ids.filter((id) => id !== follower), learners: [] } });
    const back = await ask(leader, { type: 'addVoter', nodeId: follower });
    expect(back.ok && back.value).toMatchObject({ ok: true, confState: { voters: g.ids } });
    const client = g.client();
    expect((await g.run(client.put('after', v('1')))).ok).toBe(true);
  });
});
