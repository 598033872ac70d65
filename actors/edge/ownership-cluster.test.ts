import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../api/errors.js';
import type { GroupRequest } from '../gateway/messages.js';
import { ringId, ringSize } from '../gateway/ring-id.js';
import { edgePaths } from './contract.js';
import type { OwnershipState } from './commands.js';
import { ringSpans, subtractSpans, normalizeSpans, type IdSpan } from './keyspace.js';
import { OwnershipMap } from './ownership.js';
import type { AgentReply } from './protocol.js';
import { SimCluster } from './testing/sim-cluster.js';

/*
 * The ownership rules in whole simulated clusters: the groups, not the
 * gateways, decide who serves a global key; moves interrupted by a crashed
 * gateway are finished from the replicated records; nothing is purged before
 * the target took the ids over.
 */

const b = (s: string): Buffer => Buffer.from(s);
const T = 5_000;

type Sm = { range(s: string, e: string): [string, Uint8Array][]; query(q: unknown): { ok: boolean; value?: unknown } };
const smOf = (c: SimCluster, group: string): Sm | undefined => {
  const leader = c.leaderOf(group);
  return leader === undefined ? undefined : (c.members.get(leader)! as unknown as { sm: Sm }).sm;
};
/** The group leader's ownership map (undefined without a leader). */
const ownershipOf = (c: SimCluster, group: string): OwnershipMap | undefined => {
  const sm = smOf(c, group);
  if (sm === undefined) return undefined;
  return OwnershipMap.fromRows((sm.query({ name: 'ownership' }).value as OwnershipState).pieces);
};
/** User keys the group's leader holds (served or not). */
const held = (c: SimCluster, group: string): string[] =>
  (smOf(c, group)?.range('G:', 'G;') ?? []).map(([k]) => k.slice(42)).sort();

const whole: IdSpan[] = [{ lo: 0n, hi: ringSize() - 1n }];
const text = (spans: readonly IdSpan[]): string => spans.map((x) => `${x.lo}-${x.hi}`).join(',');

/** Every id owned by exactly one group, nothing in flight, each group owning its gateway's ring range among `live`. */
function settled(c: SimCluster, live: readonly string[]): boolean {
  const ids = live.map((n) => ({ n, id: ringId(n) })).sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  let covered: IdSpan[] = [];
  for (const g of c.layout.groups) {
    const m = ownershipOf(c, g.id);
    if (m === undefined) return false;
    if (m.all().some((p) => p.state === 'outgoing' || p.state === 'incoming')) return false;
    const i = ids.findIndex((x) => x.n === g.gateway);
    const expected = i < 0 ? [] : ids.length === 1 ? whole : ringSpans(ids[(i - 1 + ids.length) % ids.length]!.id, ids[i]!.id);
    const owned = m.spans('owned');
    if (text(owned) !== text(normalizeSpans(expected))) return false;
    covered = [...covered, ...owned];
  }
  return subtractSpans(whole, covered).length === 0;
}

async function ring(seed: number, groups: number[], gateways: string[]): Promise<SimCluster> {
  const c = new SimCluster({ seed, groups });
  c.addGateway(gateways[0]!);
  await c.sim.runFor(500);
  for (const g of gateways.slice(1)) c.addGateway(g, `${gateways[0]}-gw`);
  const live = gateways.map((g) => `${g}-gw`);
  expect(await c.sim.runUntil(() => c.ringStable(live) && settled(c, live), 120_000)).toBe(true);
  return c;
}

async function preload(c: SimCluster, keys: readonly string[]): Promise<void> {
  const door = await c.door('g1-n1');
  for (const [i, k] of keys.entries()) {
    await c.must(door.put({ key: b(k), value: b(`v${i}`), scope: 'global', id: { clientId: 'pre', requestId: i + 1 } }, T));
  }
}

async function expectAll(c: SimCluster, keys: readonly string[], node = 'g1-n2'): Promise<void> {
  const door = await c.door(node);
  for (const [i, k] of keys.entries()) {
    expect((await c.must(door.get({ key: b(k), scope: 'global', consistency: 'linearizable' }, T)))?.toString()).toBe(`v${i}`);
  }
}

/** Each key held by exactly the group that owns its id, and nowhere else. */
function expectHeldByOwners(c: SimCluster, keys: readonly string[]): void {
  for (const g of c.layout.groups) {
    const m = ownershipOf(c, g.id)!;
    expect(held(c, g.id)).toEqual(keys.filter((k) => m.owns(ringId(b(k)))).sort());
  }
}

describe('global key ownership is replicated state in the groups', () => {
  it('a group refuses a key it does not own, whatever the gateway asking believes', async () => {
    const c = await ring(21, [3, 3], ['g1', 'g2']);
    const key = Array.from({ length: 50 }, (_, i) => `x${i}`).find((k) => c.ownerGroup(b(k), ['g1-gw', 'g2-gw']) === 'g1')!;
    await preload(c, [key]);
    // Hand the request straight to g2's group agent, as a gateway that wrongly believes it owns the key would.
    const system = c.sim.node('g2-gw')!.system;
    const agent = system.ref<GroupRequest>({ system: 'g2-gw', path: edgePaths.groupAgent });
    const ask = (payload: unknown) =>
      c.must(agent.ask<AgentReply<unknown>>({ kind: 'global-request', keyId: ringId(b(key)), keyBytes: b(key), payload }, { timeoutMs: T }));
    expect(await ask({ op: 'get', consistency: 'linearizable', timeoutMs: 2_000 })).toMatchObject({ ok: false, code: 'FENCED' });
    expect(await ask({ op: 'put', value: b('forked'), clientId: 'z', requestId: 1, timeoutMs: 2_000 })).toMatchObject({ ok: false, code: 'FENCED' });
    expect(held(c, 'g2')).toEqual([]);
    await expectAll(c, [key]);
  });

  it('two gateways pulling the same ids at once (a false suspicion): one release wins, nothing is lost or forked', async () => {
    const c = await ring(22, [3, 3, 3], ['g1', 'g2', 'g3']);
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    await preload(c, keys);
    // g1's range, which g2's and g3's migrators both pull as if each owned it.
    const m1 = ownershipOf(c, 'g1')!.spans('owned');
    const m2 = c.migrators.get('g2-gw')!;
    const m3 = c.migrators.get('g3-gw')!;
    const pulls = Promise.all([m2.pull(m1), m3.pull(m1)]);
    // The overlapping release is refused: at no point are ids owned by two groups.
    let doubleOwned = false;
    const check = (): boolean => {
      const maps = ['g1', 'g2', 'g3'].map((g) => ownershipOf(c, g)).filter((m) => m !== undefined);
      for (let i = 0; i < maps.length; i++) {
        for (let j = i + 1; j < maps.length; j++) {
          const a = maps[i]!.spans('owned');
          if (text(subtractSpans(a, maps[j]!.spans('owned'))) !== text(a)) doubleOwned = true;
        }
      }
      return false;
    };
    let done = false;
    pulls.then(
      () => (done = true),
      () => (done = true),
    );
    await c.sim.runUntil(() => check() || done, 120_000);
    expect(done).toBe(true);
    expect(doubleOwned).toBe(false);
    // Then the ring's true owners pull everything home (the reconcilers), and every value is intact.
    expect(await c.sim.runUntil(() => settled(c, ['g1-gw', 'g2-gw', 'g3-gw']), 60_000)).toBe(true);
    expectHeldByOwners(c, keys);
    await expectAll(c, keys);
  });
});

describe('global range reads', () => {
  it('never miss a key that is moving between groups (parts must cover the ring exactly once), nor count one twice', async () => {
    const c = await ring(27, [3, 3, 3], ['g1', 'g2']);
    const keys = Array.from({ length: 120 }, (_, i) => `k${i}`);
    await preload(c, keys);
    const expected = keys.map((k, i) => `${k}=v${i}`).sort();
    const door = await c.door('g2-n2');
    let reads = 0;
    let duringMoves = 0;
    let failed = 0;
    let stop = false;
    const inFlight = (): boolean => ['g1', 'g2', 'g3'].some((g) => ownershipOf(c, g)?.all().some((p) => p.state !== 'owned' && p.state !== 'none'));
    const reader = (async () => {
      while (!stop) {
        const moving = inFlight();
        try {
          const out: string[] = [];
          for await (const kv of door.rangeGet({ start: b(''), end: b(''), scope: 'global', consistency: 'linearizable', limit: 0 }, 1_000)) {
            out.push(`${kv.key.toString()}=${kv.value.toString()}`);
          }
          expect(out.sort()).toEqual(expected);
          reads++;
          if (moving || inFlight()) duringMoves++;
        } catch (e) {
          if (!(e instanceof UnavailableError)) throw e;
          failed++;
        }
        await new Promise<void>((r) => c.sim.schedule(50, r));
      }
    })();
    c.addGateway('g3', 'g2-gw');
    const all = ['g1-gw', 'g2-gw', 'g3-gw'];
    expect(await c.sim.runUntil(() => c.ringStable(all) && settled(c, all), 120_000)).toBe(true);
    // A gateway cut off from the others makes ids travel back and forth for a while.
    c.sim.network.partition(['g3-gw'], ['g1-gw', 'g2-gw']);
    await c.sim.runFor(8_000);
    c.sim.network.heal();
    expect(await c.sim.runUntil(() => c.ringStable(all) && settled(c, all), 120_000)).toBe(true);
    stop = true;
    await c.must(reader, 60_000);
    expect(reads).toBeGreaterThan(5);
    expect(duringMoves + failed).toBeGreaterThan(0);
  });
});

describe('global range deletes', () => {
  it('an acknowledged range delete that ran while keys were moving between groups deleted them too', async () => {
    const c = await ring(28, [3, 3, 3], ['g1', 'g2']);
    const keys = Array.from({ length: 120 }, (_, i) => `k${i}`);
    await preload(c, keys);
    const all = ['g1-gw', 'g2-gw', 'g3-gw'];
    const moving = keys.filter((k) => c.ownerGroup(b(k), all) === 'g3');
    expect(moving.length).toBeGreaterThan(3);
    c.addGateway('g3', 'g2-gw');
    // The moment g3's pull has released its range in the source: those keys are in flight.
    expect(await c.sim.runUntil(() => ['g1', 'g2'].some((g) => ownershipOf(c, g)?.all().some((p) => p.state === 'outgoing' && p.peer === 'g3')), 60_000)).toBe(true);
    const door = await c.door('g1-n3');
    const deleted = await c.must(door.rangeDelete({ start: b(''), end: b(''), scope: 'global', id: { clientId: 'rd', requestId: 1 } }, T));
    expect(deleted).toBe(keys.length);
    expect(await c.sim.runUntil(() => c.ringStable(all) && settled(c, all), 120_000)).toBe(true);
    for (const g of ['g1', 'g2', 'g3']) expect(held(c, g)).toEqual([]);
    for (const k of moving) expect(await c.must(door.get({ key: b(k), scope: 'global', consistency: 'linearizable' }, T))).toBeUndefined();
  });
});

describe('a live gateway falsely suspected', () => {
  it('cut off from the other gateways (not from the groups): both sides pull, and no acknowledged write is lost or stale', async () => {
    const c = await ring(26, [3, 3, 3], ['g1', 'g2', 'g3']);
    const all = ['g1-gw', 'g2-gw', 'g3-gw'];
    const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
    await preload(c, keys);
    const acked = new Map<string, string>(keys.map((k, i) => [k, `v${i}`]));
    // A write that failed has an unknown outcome: it may still apply later (even after later writes to
    // the key), so no claim is made about its key any more.
    const unknown = new Set<string>();
    let writing = true;
    let refused = 0;
    let ackedDuring = 0;
    const writer = (async () => {
      const d = await c.door('g3-n1');
      for (let i = 0; writing; i++) {
        const k = keys[i % keys.length]!;
        try {
          await d.put({ key: b(k), value: b(`w${i}`), scope: 'global', id: { clientId: 'during', requestId: i + 1 } }, 2_000);
          if (!unknown.has(k)) acked.set(k, `w${i}`);
          ackedDuring++;
        } catch {
          refused++;
          unknown.add(k);
          acked.delete(k);
        }
      }
    })();
    let overlap = false;
    const beliefs = (): boolean => {
      const r = all.map((g) => c.migrators.get(g)!.believedRange).filter((x) => x !== undefined);
      for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++) if (r[i]!.some((x) => r[j]!.some((y) => x.lo <= y.hi && y.lo <= x.hi))) overlap = true;
      return false;
    };
    c.sim.network.partition(['g2-gw'], ['g1-gw', 'g3-gw']);
    await c.sim.runUntil(beliefs, 10_000);
    c.sim.network.heal();
    expect(overlap).toBe(true);
    expect(await c.sim.runUntil(() => c.ringStable(all) && settled(c, all), 120_000)).toBe(true);
    writing = false;
    await c.must(writer, 60_000);
    expect(refused).toBeGreaterThan(0); // the false suspicion cost availability...
    expectHeldByOwners(c, keys);
    const reader = await c.door('g1-n1');
    for (const [k, v] of acked) {
      // ...but every acknowledged write is there (keys whose every write was acknowledged).
      expect((await c.must(reader.get({ key: b(k), scope: 'global', consistency: 'linearizable' }, T)))?.toString()).toBe(v);
    }
    expect(acked.size).toBeGreaterThan(10);
    expect(ackedDuring).toBeGreaterThan(keys.length);
  });
});

describe('moves interrupted by a crashed gateway', () => {
  for (const when of ['released in the source', 'importing in the target'] as const) {
    it(`a joining gateway crashes with its pull ${when}: the move is finished from the records, nothing lost`, async () => {
      const c = await ring(23, [3, 3, 3], ['g1', 'g2']);
      const keys = Array.from({ length: 120 }, (_, i) => `k${i}`);
      await preload(c, keys);
      // g3's range is a small part of the ring: some keys do fall in it, so the interrupted move carries data.
      expect(keys.filter((k) => c.ownerGroup(b(k), ['g1-gw', 'g2-gw', 'g3-gw']) === 'g3').length).toBeGreaterThan(3);
      c.addGateway('g3', 'g2-gw');
      const inFlight = (): boolean => {
        if (when === 'released in the source') return ['g1', 'g2'].some((g) => ownershipOf(c, g)?.all().some((p) => p.state === 'outgoing' && p.peer === 'g3'));
        return ownershipOf(c, 'g3')?.all().some((p) => p.state === 'incoming') ?? false;
      };
      expect(await c.sim.runUntil(inFlight, 60_000)).toBe(true);
      c.sim.crash('g3-gw');
      const rest = ['g1-gw', 'g2-gw'];
      // The half-done move is finished (into g3's group, alive), then pulled back by the ring's owners; g3's group ends with nothing.
      expect(await c.sim.runUntil(() => c.ringStable(rest) && settled(c, rest), 120_000)).toBe(true);
      expect(held(c, 'g3')).toEqual([]);
      expectHeldByOwners(c, keys);
      await expectAll(c, keys);
      expect([...c.migrators.values()].reduce((n, m) => n + m.movesCompleted, 0)).toBeGreaterThan(0);
    });
  }

  it('a joining gateway crashes mid-move and comes back: it joins again and the move is finished, nothing lost', async () => {
    const c = await ring(25, [3, 3, 3], ['g1', 'g2']);
    const keys = Array.from({ length: 120 }, (_, i) => `k${i}`);
    await preload(c, keys);
    c.addGateway('g3', 'g2-gw');
    expect(await c.sim.runUntil(() => ownershipOf(c, 'g3')?.all().some((p) => p.state === 'incoming') ?? false, 60_000)).toBe(true);
    c.sim.crash('g3-gw');
    await c.sim.runFor(3_000);
    c.sim.restart('g3-gw');
    const all = ['g1-gw', 'g2-gw', 'g3-gw'];
    expect(await c.sim.runUntil(() => c.ringStable(all) && settled(c, all), 120_000)).toBe(true);
    expect(held(c, 'g3')).toEqual(keys.filter((k) => c.ownerGroup(b(k), all) === 'g3').sort());
    expectHeldByOwners(c, keys);
    await expectAll(c, keys);
  });

  it('nothing is purged in the source before the target took the ids over (target group down mid-move)', async () => {
    const c = await ring(24, [3, 3, 3], ['g1', 'g2']);
    const keys = Array.from({ length: 120 }, (_, i) => `k${i}`);
    await preload(c, keys);
    c.addGateway('g3', 'g2-gw');
    const source = (): string | undefined =>
      ['g1', 'g2'].find((g) => ownershipOf(c, g)?.all().some((p) => p.state === 'outgoing' && p.peer === 'g3'));
    expect(await c.sim.runUntil(() => source() !== undefined, 60_000)).toBe(true);
    const from = source()!;
    // g3's group loses its majority right after the release: the import cannot finish.
    const before = held(c, from);
    c.crash('g3-n1');
    c.crash('g3-n2');
    await c.sim.runFor(15_000);
    // The released keys are still in the source (outgoing, not served, not purged).
    const m = ownershipOf(c, from)!;
    const outgoing = m.spans('outgoing');
    expect(outgoing.length).toBeGreaterThan(0);
    const releasedKeys = keys.filter((k) => outgoing.some((s) => s.lo <= ringId(b(k)) && ringId(b(k)) <= s.hi));
    expect(releasedKeys.length).toBeGreaterThan(0);
    expect(held(c, from)).toEqual(before);
    c.restart('g3-n1');
    c.restart('g3-n2');
    const all = ['g1-gw', 'g2-gw', 'g3-gw'];
    expect(await c.sim.runUntil(() => c.ringStable(all) && settled(c, all), 120_000)).toBe(true);
    expectHeldByOwners(c, keys);
    await expectAll(c, keys);
  });
});
