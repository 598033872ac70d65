import { status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { grpcStatusOf, UnavailableError } from '../../api/errors.js';
import type { EdgeNodeHandle } from './contract.js';
import { SimCluster } from './testing/sim-cluster.js';

const b = (s: string): Buffer => Buffer.from(s);
const T = 5_000;

async function collect(c: SimCluster, door: EdgeNodeHandle, scope: 'local' | 'global', start = '', end = ''): Promise<string[]> {
  return c.must(
    (async () => {
      const out: string[] = [];
      for await (const kv of door.rangeGet({ start: b(start), end: b(end), scope, consistency: 'linearizable', limit: 0 }, T)) {
        out.push(`${kv.key.toString()}=${kv.value.toString()}`);
      }
      return out;
    })(),
  );
}

/** Two groups of three with both gateways in the ring, stabilized. */
async function twoGroups(seed: number): Promise<SimCluster> {
  const c = new SimCluster({ seed, groups: [3, 3] });
  c.addGateway('g1');
  await c.sim.runFor(500);
  c.addGateway('g2', 'g1-gw');
  expect(await c.sim.runUntil(() => c.ringStable(['g1-gw', 'g2-gw']), 60_000)).toBe(true);
  return c;
}

/** Three groups of three with all three gateways in the ring, stabilized. */
async function threeGroups(seed: number): Promise<SimCluster> {
  const c = new SimCluster({ seed, groups: [3, 3, 3] });
  c.addGateway('g1');
  await c.sim.runFor(500);
  c.addGateway('g2', 'g1-gw');
  c.addGateway('g3', 'g1-gw');
  expect(await c.sim.runUntil(() => c.ringStable(['g1-gw', 'g2-gw', 'g3-gw']), 120_000)).toBe(true);
  return c;
}

/** Writes keys[i] = `${prefix}${i}` in the global scope through `node`'s door, as client 'pre' from request id `firstId` on. */
async function preload(c: SimCluster, node: string, keys: readonly string[], prefix = 'a', firstId = 1): Promise<void> {
  const door = await c.door(node);
  for (const [i, k] of keys.entries()) {
    await c.must(door.put({ key: b(k), value: b(`${prefix}${i}`), scope: 'global', id: { clientId: 'pre', requestId: firstId + i } }, T));
  }
}

describe('edge cluster in the simulator', () => {
  it('local keys stay in their group: any member of the group sees them, other groups do not', async () => {
    const c = await twoGroups(1);
    const d11 = await c.door('g1-n1');
    const d12 = await c.door('g1-n2');
    const d21 = await c.door('g2-n1');
    await c.must(d11.put({ key: b('k'), value: b('one'), scope: 'local', id: undefined }, T));
    await c.must(d21.put({ key: b('k'), value: b('two'), scope: 'local', id: undefined }, T));
    expect((await c.must(d12.get({ key: b('k'), scope: 'local', consistency: 'linearizable' }, T)))?.toString()).toBe('one');
    expect((await c.must(d21.get({ key: b('k'), scope: 'local', consistency: 'linearizable' }, T)))?.toString()).toBe('two');
    await c.must(d11.put({ key: b('only-g1'), value: b('x'), scope: 'local', id: undefined }, T));
    expect(await c.must(d21.get({ key: b('only-g1'), scope: 'local', consistency: 'linearizable' }, T))).toBeUndefined();
    // Local and global keyspaces do not mix either.
    expect(await c.must(d11.get({ key: b('only-g1'), scope: 'global', consistency: 'linearizable' }, T))).toBeUndefined();
    expect(await collect(c, d12, 'local')).toEqual(['k=one', 'only-g1=x']);
    expect(await collect(c, d21, 'local')).toEqual(['k=two']);
    // A serializable read on a follower catches up within a heartbeat or two.
    await c.sim.runFor(500);
    expect((await c.must(d12.get({ key: b('k'), scope: 'local', consistency: 'serializable' }, T)))?.toString()).toBe('one');
    const status = await c.must(d11.status());
    expect(status.ring.map((r) => r.gateway).sort()).toEqual(['g1-gw', 'g2-gw']);
    const g1 = status.groups.find((g) => g.group === 'g1')!;
    expect(g1.localKeys).toBe(2);
    expect(g1.leader).toBe(c.leaderOf('g1'));
    expect(status.groups.find((g) => g.group === 'g2')!.localKeys).toBe(1);
  });

  it('global keys land on the group that owns their hash, whichever node the client asks', async () => {
    const c = await twoGroups(2);
    const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
    const nodes = c.nodeNames;
    for (const [i, k] of keys.entries()) {
      const door = await c.door(nodes[i % nodes.length]!);
      await c.must(door.put({ key: b(k), value: b(`v${i}`), scope: 'global', id: { clientId: 'test', requestId: i + 1 } }, T));
    }
    for (const [i, k] of keys.entries()) {
      const door = await c.door(nodes[(i * 7 + 3) % nodes.length]!);
      expect((await c.must(door.get({ key: b(k), scope: 'global', consistency: 'linearizable' }, T)))?.toString()).toBe(`v${i}`);
      // The owner group holds it; the other one does not.
      const owner = c.ownerGroup(b(k), ['g1-gw', 'g2-gw']);
      const holders = ['g1', 'g2'].filter((g) => {
        const leader = c.leaderOf(g)!;
        return c.members.get(leader)!.status() !== undefined && holdsGlobal(c, leader, k);
      });
      expect(holders).toEqual([owner]);
    }
    const owners = new Set(keys.map((k) => c.ownerGroup(b(k), ['g1-gw', 'g2-gw'])));
    expect(owners.size).toBe(2); // both groups got some: the test would not see misplacement otherwise
    const all = await collect(c, await c.door('g2-n2'), 'global');
    expect(all).toEqual([...keys].sort().map((k) => `${k}=v${keys.indexOf(k)}`));
    expect(await collect(c, await c.door('g1-n3'), 'global', 'key-1', 'key-2')).toEqual(
      keys.filter((k) => k >= 'key-1' && k < 'key-2').sort().map((k) => `${k}=v${keys.indexOf(k)}`),
    );
    // A global range delete reaches every group.
    const deleted = await c.must((await c.door('g1-n1')).rangeDelete({ start: b('key-1'), end: b('key-2'), scope: 'global', id: undefined }, T));
    expect(deleted).toBe(keys.filter((k) => k >= 'key-1' && k < 'key-2').length);
    expect(await collect(c, await c.door('g2-n1'), 'global', 'key-1', 'key-2')).toEqual([]);
    // Retrying a write with the same id does not apply it again.
    const door = await c.door('g2-n3');
    await c.must(door.put({ key: b('key-0'), value: b('new'), scope: 'global', id: { clientId: 'test', requestId: 100 } }, T));
    await c.must(door.put({ key: b('key-0'), value: b('v0'), scope: 'global', id: { clientId: 'test', requestId: 1 } }, T));
    expect((await c.must(door.get({ key: b('key-0'), scope: 'global', consistency: 'linearizable' }, T)))?.toString()).toBe('new');
  });
});

/** Does the state machine of `member` hold global user key `key` (any ring position)? */
function holdsGlobal(c: SimCluster, member: string, key: string): boolean {
  const m = c.members.get(member)!;
  const sm = (m as unknown as { sm: { range(s: string, e: string): [string, Uint8Array][] } }).sm;
  return sm.range('G:', 'G;').some(([k]) => k.endsWith(key) && k.length === 2 + 40 + key.length);
}

/** User keys of every global entry the group's leader holds (served or fenced). */
function heldGlobal(c: SimCluster, group: string): string[] {
  const leader = c.leaderOf(group);
  if (leader === undefined) throw new Error(`group ${group} has no leader`);
  const sm = (c.members.get(leader)! as unknown as { sm: { range(s: string, e: string): [string, Uint8Array][] } }).sm;
  return sm.range('G:', 'G;').map(([k]) => k.slice(42)).sort();
}

describe('edge cluster: failures and ring changes', () => {
  it('a leader failover during writes loses nothing acknowledged', async () => {
    const c = await twoGroups(3);
    const acked = new Map<string, string>();
    const writer = async (node: string, prefix: string, scope: 'local' | 'global'): Promise<void> => {
      const door = await c.door(node);
      for (let i = 0; i < 30; i++) {
        const key = `${prefix}${i % 10}`;
        try {
          await door.put({ key: b(key), value: b(`${i}`), scope, id: { clientId: `w-${prefix}`, requestId: i + 1 } }, T);
          acked.set(`${scope}:${key}`, `${i}`);
        } catch {
          // Unknown outcome: a later acknowledged write to the key decides.
        }
        await new Promise<void>((r) => c.sim.node(node)!.system.clock.setTimeout(r, 50));
      }
    };
    const leader = c.leaderOf('g1')!;
    const others = c.layout.groups[0]!.members.filter((m) => m !== leader);
    const work = Promise.all([writer(others[0]!, 'l', 'local'), writer(others[1]!, 'g', 'global'), writer('g2-n1', 'x', 'global')]);
    c.sim.schedule(400, () => c.crash(leader));
    c.sim.schedule(4_000, () => c.restart(leader));
    await c.must(work, 600_000);
    expect(acked.size).toBeGreaterThan(20);
    expect(c.leaderOf('g1')).toBeDefined();
    const reader = await c.door(others[0]!);
    for (const [sk, value] of acked) {
      const [scope, key] = sk.split(':') as ['local' | 'global', string];
      // Writes to a key are sequential per writer: the last acknowledged one is the value.
      expect((await c.must(reader.get({ key: b(key), scope, consistency: 'linearizable' }, T)))?.toString()).toBe(value);
    }
  });

  it('a gateway join moves exactly the keys of its new range, and none acknowledged is lost', async () => {
    const c = new SimCluster({ seed: 4, groups: [3, 3, 3] });
    c.addGateway('g1');
    await c.sim.runFor(500);
    c.addGateway('g2', 'g1-gw');
    expect(await c.sim.runUntil(() => c.ringStable(['g1-gw', 'g2-gw']), 60_000)).toBe(true);
    const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
    await preload(c, 'g1-n2', keys);
    const before = ['g1-gw', 'g2-gw'];
    for (const g of ['g1', 'g2']) expect(heldGlobal(c, g)).toEqual(keys.filter((k) => c.ownerGroup(b(k), before) === g).sort());

    // Writes keep going through the join.
    const acked = new Map<string, string>();
    let writing = true;
    const writer = (async () => {
      const d = await c.door('g2-n3');
      for (let i = 0; writing; i++) {
        // Even keys only: the odd ones keep their first value, which only the move can carry.
        const k = keys[(2 * i) % keys.length]!;
        try {
          await d.put({ key: b(k), value: b(`b${i}`), scope: 'global', id: { clientId: 'during', requestId: i + 1 } }, T);
          acked.set(k, `b${i}`);
        } catch {
          acked.delete(k); // outcome unknown: no claim about this key any more
        }
      }
    })();
    c.addGateway('g3', 'g2-gw');
    const after = ['g1-gw', 'g2-gw', 'g3-gw'];
    expect(await c.sim.runUntil(() => c.ringStable(after), 120_000)).toBe(true);
    await c.sim.runFor(3_000);
    writing = false;
    await c.must(writer, 60_000);
    await c.sim.runFor(3_000); // purge after the handover

    const moved = keys.filter((k) => c.ownerGroup(b(k), after) === 'g3');
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.length).toBeLessThan(keys.length);
    for (const g of ['g1', 'g2', 'g3']) expect(heldGlobal(c, g)).toEqual(keys.filter((k) => c.ownerGroup(b(k), after) === g).sort());
    expect(acked.size).toBeGreaterThan(0);
    const reader = await c.door('g3-n1');
    for (const [i, k] of keys.entries()) {
      const got = (await c.must(reader.get({ key: b(k), scope: 'global', consistency: 'linearizable' }, T)))?.toString();
      expect(got).toBe(acked.get(k) ?? got);
      if (i % 2 === 1) expect(got).toBe(`a${i}`);
      else expect(got === `a${i}` || got?.startsWith('b')).toBe(true);
    }
    expect([...c.migrators.values()].reduce((n, m) => n + m.movesCompleted, 0)).toBeGreaterThan(0);
  });

  it('a graceful gateway leave hands its keys to its successor\'s group', async () => {
    const c = await threeGroups(5);
    const all = ['g1-gw', 'g2-gw', 'g3-gw'];
    const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
    await preload(c, 'g1-n1', keys);
    const leaving = keys.filter((k) => c.ownerGroup(b(k), all) === 'g2');
    expect(leaving.length).toBeGreaterThan(0);

    const acked = new Map<string, string>();
    let writing = true;
    const writer = (async () => {
      const d = await c.door('g3-n2');
      for (let i = 0; writing; i++) {
        // Even keys only: the odd ones keep their first value, which only the move can carry.
        const k = keys[(2 * i) % keys.length]!;
        try {
          await d.put({ key: b(k), value: b(`b${i}`), scope: 'global', id: { clientId: 'during', requestId: i + 1 } }, T);
          acked.set(k, `b${i}`);
        } catch {
          acked.delete(k);
        }
      }
    })();
    await c.must((await c.gatewayHandle('g2-gw')).leave(), 300_000);
    const rest = ['g1-gw', 'g3-gw'];
    expect(await c.sim.runUntil(() => c.ringStable(rest), 120_000)).toBe(true);
    await c.sim.runFor(2_000);
    writing = false;
    await c.must(writer, 60_000);
    await c.sim.runFor(3_000);
    expect(heldGlobal(c, 'g2')).toEqual([]);
    for (const g of ['g1', 'g3']) expect(heldGlobal(c, g)).toEqual(keys.filter((k) => c.ownerGroup(b(k), rest) === g).sort());
    const reader = await c.door('g2-n1');
    for (const [i, k] of keys.entries()) {
      const got = (await c.must(reader.get({ key: b(k), scope: 'global', consistency: 'linearizable' }, T)))?.toString();
      expect(got).toBe(acked.get(k) ?? got);
      if (i % 2 === 1) expect(got).toBe(`a${i}`);
      else expect(got === `a${i}` || got?.startsWith('b')).toBe(true);
    }
  });
});

describe('edge cluster: a gateway that fails', () => {
  it('its successor recovers the failed gateway\'s range from that gateway\'s group (still alive)', async () => {
    const c = await threeGroups(6);
    const all = ['g1-gw', 'g2-gw', 'g3-gw'];
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    await preload(c, 'g1-n1', keys);
    const orphaned = keys.filter((k) => c.ownerGroup(b(k), all) === 'g2');
    expect(orphaned.length).toBeGreaterThan(0);
    c.sim.crash('g2-gw');
    const rest = ['g1-gw', 'g3-gw'];
    expect(await c.sim.runUntil(() => c.ringStable(rest), 120_000)).toBe(true);
    await c.sim.runFor(5_000);
    const heir = c.ownerGroup(b(orphaned[0]!), rest);
    for (const k of orphaned) expect(c.ownerGroup(b(k), rest)).toBe(heir);
    const reader = await c.door('g3-n3');
    for (const [i, k] of keys.entries()) {
      expect((await c.must(reader.get({ key: b(k), scope: 'global', consistency: 'linearizable' }, T)))?.toString()).toBe(`a${i}`);
    }
    for (const g of ['g1', 'g3']) expect(heldGlobal(c, g)).toEqual(keys.filter((k) => c.ownerGroup(b(k), rest) === g).sort());
    // The failed gateway's group (alive) gave its keys up.
    expect(heldGlobal(c, 'g2')).toEqual([]);
  });
});

describe('edge cluster: snapshots', () => {
  it('a member that missed a compaction catches up by snapshot, with the ownership of a moved range', async () => {
    const c = new SimCluster({ seed: 7, groups: [3, 3], snapshotEveryEntries: 4 });
    c.addGateway('g1');
    await c.sim.runFor(500);
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    await preload(c, 'g1-n1', keys);
    const lagging = c.layout.groups[0]!.members.find((m) => m !== c.leaderOf('g1') && m !== 'g1-n1')!;
    c.crash(lagging);
    // g2 joins: part of g1's range moves out (release, copy, import, complete and purge: all while the member is down).
    c.addGateway('g2', 'g1-gw');
    expect(await c.sim.runUntil(() => c.ringStable(['g1-gw', 'g2-gw']), 60_000)).toBe(true);
    await preload(c, 'g1-n1', keys, 'b', 100);
    await c.sim.runFor(3_000);
    c.restart(lagging);
    await c.sim.runFor(3_000);
    expect(c.snapshotsInstalled()).toBeGreaterThan(0);
    // The caught-up member holds exactly g1's keys and refuses the moved range like the others.
    const sm = (c.members.get(lagging)! as unknown as { sm: { range(s: string, e: string): [string, Uint8Array][]; query(q: unknown): unknown } }).sm;
    const held = sm.range('G:', 'G;').map(([k]) => k.slice(42)).sort();
    expect(held).toEqual(keys.filter((k) => c.ownerGroup(b(k), ['g1-gw', 'g2-gw']) === 'g1').sort());
    const leaderSm = (c.members.get(c.leaderOf('g1')!)! as unknown as { sm: { query(q: unknown): unknown } }).sm;
    expect(sm.query({ name: 'ownership' })).toEqual(leaderSm.query({ name: 'ownership' }));
    // A serializable read on the caught-up member sees the latest value.
    const d = await c.door(lagging);
    const mine = keys.find((k) => c.ownerGroup(b(k), ['g1-gw', 'g2-gw']) === 'g1')!;
    expect((await c.must(d.get({ key: b(mine), scope: 'global', consistency: 'linearizable' }, T)))?.toString()).toBe(`b${keys.indexOf(mine)}`);
  });
});

describe('edge cluster: concurrent leaves', () => {
  it('two neighbours leaving at once: every key ends in the last group, none lost', async () => {
    const c = await threeGroups(8);
    const all = ['g1-gw', 'g2-gw', 'g3-gw'];
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    await preload(c, 'g2-n1', keys);
    // g1's successor is g3 (ring order by SHA-1 of the names): both leave together.
    expect(c.gateways.get('g1-gw')!.status().successors[0]!.ref.address.system).toBe('g3-gw');
    const leaves = Promise.all([(await c.gatewayHandle('g1-gw')).leave(), (await c.gatewayHandle('g3-gw')).leave()]);
    await c.must(leaves, 600_000);
    expect(await c.sim.runUntil(() => c.ringStable(['g2-gw']), 120_000)).toBe(true);
    await c.sim.runFor(3_000);
    if (process.env.EDGE_DEBUG) {
      const recs = (c.sim.logger as unknown as { records: { level: string; message: string; fields: unknown }[] }).records;
      for (const r of recs.filter((r) => !r.message.startsWith('sim') && r.level !== 'debug')) console.log(r.level, r.message, JSON.stringify(r.fields).slice(0, 300));
      for (const g of ['g1', 'g2', 'g3']) console.log(g, heldGlobal(c, g).length, JSON.stringify((c.members.get(c.leaderOf(g)!) as unknown as { sm: { query(q: unknown): unknown } }).sm.query({ name: 'ownership' })));
    }
    expect(heldGlobal(c, 'g2')).toEqual([...keys].sort());
    expect(heldGlobal(c, 'g1')).toEqual([]);
    expect(heldGlobal(c, 'g3')).toEqual([]);
    const reader = await c.door('g1-n2');
    for (const [i, k] of keys.entries()) {
      expect((await c.must(reader.get({ key: b(k), scope: 'global', consistency: 'linearizable' }, T)))?.toString()).toBe(`a${i}`);
    }
    const all2 = await collect(c, reader, 'global');
    expect(all2).toHaveLength(keys.length);
  });
});

describe('edge cluster: errors', () => {
  it('answers UNAVAILABLE when no leader is reachable before the deadline, and serves again once one is', async () => {
    const c = await twoGroups(9);
    const door = await c.door('g1-n1');
    await c.must(door.put({ key: b('k'), value: b('v'), scope: 'local', id: undefined }, T));
    c.crash('g1-n2');
    c.crash('g1-n3');
    const started = c.sim.nowMs;
    const r = await c.run(door.put({ key: b('k'), value: b('w'), scope: 'local', id: { clientId: 'u', requestId: 1 } }, 2_000));
    expect(r.ok).toBe(false);
    const error = (r as { error: unknown }).error;
    expect(error).toBeInstanceOf(UnavailableError);
    expect(grpcStatusOf(error)).toBe(GrpcStatus.UNAVAILABLE);
    // It gave up at the deadline, not later.
    expect(c.sim.nowMs - started).toBeLessThanOrEqual(2_000 + 1);
    // A global read whose owner is g2 still works from g1-n1's door (through the gateways).
    const g2key = Array.from({ length: 50 }, (_, i) => `x${i}`).find((k) => c.ownerGroup(b(k), ['g1-gw', 'g2-gw']) === 'g2')!;
    expect(await c.must(door.get({ key: b(g2key), scope: 'global', consistency: 'linearizable' }, T))).toBeUndefined();
    c.restart('g1-n2');
    // The retry with the same id goes through once a majority is back (and applies once).
    await c.must(door.put({ key: b('k'), value: b('w'), scope: 'local', id: { clientId: 'u', requestId: 1 } }, T));
    expect((await c.must(door.get({ key: b('k'), scope: 'local', consistency: 'linearizable' }, T)))?.toString()).toBe('w');
  });
});
