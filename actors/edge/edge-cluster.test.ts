import { describe, expect, it } from 'vitest';
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
