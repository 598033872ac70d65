import { describe, expect, it } from 'vitest';
import { Simulation } from '../../runtime/sim/index.js';
import { gatewayDefaults } from './defaults.js';
import type { GatewayStatus, LookupReply, OwnsKeyReply, RouteReply } from './messages.js';
import type { RangeAcquired, RangeChanged, RangeListener, RangeReleased } from './range-hooks.js';
import { SimRing } from './testing/sim-ring.js';

const r = gatewayDefaults.successorListLength;
const keys = SimRing.keys('k', 40);

async function formRing(ring: SimRing, names: string[]): Promise<void> {
  ring.add(names[0]!);
  // Everyone joins through the first gateway at once: concurrent joins must sort themselves out.
  for (const name of names.slice(1)) ring.add(name, names[0]!);
  const ok = await ring.sim.runUntil(() => ring.isStable(r), 120_000);
  expect(ok, 'ring did not stabilize').toBe(true);
}

async function expectLookupsCorrect(ring: SimRing): Promise<void> {
  for (const from of ring.live()) {
    for (const key of keys) {
      const reply = await ring.ask<LookupReply>(from, ring.ref(from), { kind: 'lookup', keyId: key.id }, 30_000);
      expect(reply.kind).toBe('lookup-ok');
      if (reply.kind !== 'lookup-ok') return;
      expect(reply.owner.ref.address.system, `lookup of ${key.id.toString(16)} from ${from}`).toBe(ring.trueOwner(key.id));
      expect(reply.hops).toBeGreaterThanOrEqual(0);
    }
  }
}

class RecordingListener {
  readonly acquired: RangeAcquired[] = [];
  readonly released: RangeReleased[] = [];
  readonly changed: RangeChanged[] = [];
  acquire(e: RangeAcquired): void {
    this.acquired.push(e);
  }
  release(e: RangeReleased): void {
    this.released.push(e);
  }
  onChanged(e: RangeChanged): void {
    this.changed.push(e);
  }
}

function recordingRing(sim: Simulation, options: { groups?: boolean } = {}) {
  const listeners = new Map<string, RecordingListener>();
  const ring = new SimRing(sim, {
    ...options,
    listenerFor: (name) => {
      const l = new RecordingListener();
      listeners.set(name, l);
      return { acquire: (e) => l.acquire(e), release: (e) => l.release(e), changed: (e) => l.onChanged(e) };
    },
  });
  return { ring, listeners };
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `gw${i}`);

describe('gateway actor (simulated ring)', () => {
  it('forms a ring from joins, and lookups from any gateway reach the true successor', async () => {
    const sim = new Simulation({ seed: 11, faults: { minDelayMs: 1, maxDelayMs: 20 } });
    const ring = new SimRing(sim);
    await formRing(ring, names(8));
    await expectLookupsCorrect(ring);
    // Fingers converge too: after a few fix_fingers rounds none is missing.
    await sim.runFor(30_000);
    for (const g of ring.ring()) expect(g.actor.status().fingers.every((f) => f !== undefined)).toBe(true);
  });

  it('a lone gateway owns everything; the second to join takes its half through the handshake', async () => {
    const sim = new Simulation({ seed: 12 });
    const { ring, listeners } = recordingRing(sim);
    ring.add('a');
    await sim.runFor(10);
    const a = ring.actors.get('a')!;
    expect(a.ownsKey(keys[0]!.id)).toBe(true);
    expect(listeners.get('a')!.changed.map((e) => e.reason)).toEqual(['created']);
    ring.add('b', 'a');
    expect(await sim.runUntil(() => ring.isStable(r), 60_000)).toBe(true);
    const idA = a.id;
    const idB = ring.actors.get('b')!.id;
    expect(listeners.get('a')!.released).toEqual([
      expect.objectContaining({ kind: 'range-released', from: idA, to: idB, reason: 'predecessor-joined' }),
    ]);
    expect(listeners.get('b')!.acquired).toEqual([
      expect.objectContaining({ kind: 'range-acquired', from: idA, to: idB, reason: 'joined' }),
    ]);
    expect(listeners.get('b')!.acquired[0]!.previousOwner.id).toBe(idA);
    expect(listeners.get('b')!.changed.at(-1)).toMatchObject({ reason: 'joined', range: { from: idA, to: idB } });
  });

  it('the joiner serves its range only after its acquire hook resolved; requests meanwhile are held, then served', async () => {
    const sim = new Simulation({ seed: 13 });
    let releaseMigration: (() => void) | undefined;
    const ring = new SimRing(sim, {
      groups: true,
      listenerFor: (name) =>
        name === 'late'
          ? { acquire: () => new Promise<void>((resolve) => (releaseMigration = resolve)) }
          : undefined,
    });
    await formRing(ring, names(4));
    ring.add('late', 'gw0');
    await sim.runUntil(() => releaseMigration !== undefined, 30_000);
    expect(releaseMigration).toBeDefined();
    const late = ring.actors.get('late')!;
    expect(late.status().state).toBe('acquiring');
    // A key in the joiner's new range, routed now, waits at the joiner until the migration is done.
    const pred = late.status().predecessor!.id;
    const key = SimRing.keys('late', 2000).find((k) => pred < late.id ? k.id > pred && k.id <= late.id : k.id > pred || k.id <= late.id)!;
    let routed: RouteReply | undefined;
    void ring
      .ref('gw1')
      .ask<RouteReply>({ kind: 'route', keyBytes: key.bytes, payload: 'put' }, { timeoutMs: 60_000 })
      .then((x) => (routed = x));
    await sim.runFor(5_000);
    // Either the old owner said "not mine" and the request is retrying, or it is held at the joiner: never served elsewhere.
    expect(ring.groupRequests.filter((g) => g.request.keyId === key.id)).toEqual([]);
    releaseMigration!();
    await sim.runUntil(() => routed !== undefined, 60_000);
    expect(late.status().state).toBe('serving');
    expect(routed).toMatchObject({ kind: 'routed', reply: { servedBy: 'late' } });
    expect(ring.groupRequests.filter((g) => g.request.keyId === key.id).map((g) => g.node)).toEqual(['late']);
  });

  it('skips a failed successor and keeps answering lookups correctly', async () => {
    const sim = new Simulation({ seed: 14, faults: { minDelayMs: 1, maxDelayMs: 10 } });
    const { ring, listeners } = recordingRing(sim);
    await formRing(ring, names(7));
    const before = ring.ring();
    const victim = before[3]!;
    const predName = before[2]!.name;
    const succ = before[4]!;
    ring.crash(victim.name);
    // Lookups work straight away (the walk routes around the dead node), before the ring has repaired itself.
    for (const key of keys.slice(0, 10)) {
      const reply = await ring.ask<LookupReply>(predName, ring.ref(predName), { kind: 'lookup', keyId: key.id }, 30_000);
      expect(reply.kind).toBe('lookup-ok');
    }
    expect(await sim.runUntil(() => ring.isStable(r), 60_000)).toBe(true);
    const status: GatewayStatus = ring.actors.get(predName)!.status();
    expect(status.successors[0]!.id).toBe(succ.id);
    // The successor's range grew over the failed gateway's range.
    expect(listeners.get(succ.name)!.acquired).toContainEqual(
      expect.objectContaining({ reason: 'predecessor-failed', from: before[2]!.id, to: victim.id }),
    );
    await expectLookupsCorrect(ring);
  });

  it('graceful leave hands the range to the successor (hooks fire with the right range) and stops', async () => {
    const sim = new Simulation({ seed: 15 });
    const { ring, listeners } = recordingRing(sim);
    await formRing(ring, names(6));
    const before = ring.ring();
    const [pred, leaver, succ] = [before[1]!, before[2]!, before[3]!];
    const reply = await ring.leave(leaver.name);
    expect(reply).toMatchObject({ kind: 'left', successor: { id: succ.id } });
    const released = listeners.get(leaver.name)!.released.filter((e) => e.reason === 'left');
    expect(released).toEqual([expect.objectContaining({ from: pred.id, to: leaver.id })]);
    expect(released[0]!.newOwner.id).toBe(succ.id);
    expect(listeners.get(succ.name)!.acquired.filter((e) => e.reason === 'predecessor-left')).toEqual([
      expect.objectContaining({ from: pred.id, to: leaver.id, previousOwner: expect.objectContaining({ id: leaver.id }) }),
    ]);
    expect(listeners.get(succ.name)!.changed.at(-1)).toMatchObject({ reason: 'predecessor-left', range: { from: pred.id, to: succ.id } });
    // The predecessor learns its new successor from the leaver at once (one network delay), not a stabilize period later.
    await sim.runFor(2);
    expect(ring.actors.get(pred.name)!.status().successors[0]!.id).toBe(succ.id);
    expect(sim.node(leaver.name)!.system.has('gateway')).toBe(false);
    expect(await sim.runUntil(() => ring.isStable(r), 60_000)).toBe(true);
    await expectLookupsCorrect(ring);
  });

  it('routes a request to the owner gateway, which hands it to its group', async () => {
    const sim = new Simulation({ seed: 16 });
    const ring = new SimRing(sim, { groups: true });
    await formRing(ring, names(5));
    for (const key of keys.slice(0, 15)) {
      const reply = await ring.ask<RouteReply>('gw3', ring.ref('gw3'), { kind: 'route', keyBytes: key.bytes, payload: { op: 'get' } }, 30_000);
      const owner = ring.trueOwner(key.id);
      expect(reply).toMatchObject({ kind: 'routed', reply: { servedBy: owner } });
    }
    expect(ring.groupRequests.every((g) => g.node === ring.trueOwner(g.request.keyId))).toBe(true);
  });

  it('a lookup answered by a gateway still joining fails cleanly rather than claiming the key', async () => {
    const sim = new Simulation({ seed: 17 });
    const ring = new SimRing(sim);
    ring.add('a');
    ring.add('b', 'nowhere'); // bootstrap unreachable: b keeps retrying
    await sim.runFor(5_000);
    const reply = await ring.ask<LookupReply>('b', ring.ref('b'), { kind: 'lookup', keyId: keys[0]!.id }, 1_000);
    expect(reply.kind).toBe('lookup-failed');
    expect(ring.actors.get('b')!.status().state).toBe('joining');
  });

  it('bad input gets a clear error and changes nothing; the gateway keeps serving', async () => {
    const sim = new Simulation({ seed: 18 });
    const ring = new SimRing(sim);
    await formRing(ring, names(3));
    const bad = await ring.ask<LookupReply>('gw0', ring.ref('gw0'), { kind: 'lookup', keyId: 42 as unknown as bigint }, 1_000);
    expect(bad).toMatchObject({ kind: 'lookup-failed', reason: expect.stringContaining('ring id must be a bigint') });
    const badRoute = await ring.ask<RouteReply>(
      'gw0',
      ring.ref('gw0'),
      { kind: 'route', keyBytes: 'k' as unknown as Uint8Array, payload: null },
      1_000,
    );
    expect(badRoute).toMatchObject({ kind: 'route-failed', code: 'INVALID_ARGUMENT' });
    const owner = ring.trueOwner(keys[0]!.id);
    expect(await ring.ask<OwnsKeyReply>(owner, ring.ref(owner), { kind: 'owns-key', keyId: keys[0]!.id }, 1_000)).toMatchObject({ owns: true });
    const other = ring.live().find((n) => n !== owner)!;
    expect(await ring.ask<OwnsKeyReply>(other, ring.ref(other), { kind: 'owns-key', keyId: keys[0]!.id }, 1_000)).toMatchObject({ owns: false });
    const good = await ring.ask<LookupReply>('gw0', ring.ref('gw0'), { kind: 'lookup', keyId: keys[0]!.id }, 30_000);
    expect(good).toMatchObject({ kind: 'lookup-ok', owner: { ref: { address: { system: ring.trueOwner(keys[0]!.id) } } } });
  });
});
