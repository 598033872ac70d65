import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LookupReply } from '../actors/gateway/messages.js';
import { ringId, type RingId } from '../actors/gateway/ring-id.js';
import { RingModel } from '../actors/gateway/testing/ring-model.js';
import { SimRing } from '../actors/gateway/testing/sim-ring.js';
import { gatewayDefaults } from '../actors/gateway/defaults.js';
import { Simulation } from '../runtime/sim/index.js';
import { checkProperty } from './support.js';

/**
 * Chord's path-length figure: on N = 2^k gateways with correct finger tables
 * the mean lookup path is ½·log₂N hops; we require it within 0.5 hop.
 *
 * Path length = the number of remote gateways that answered a routing query
 * (find-next) during the lookup: the nodes traversed from the origin to the
 * key's predecessor, which names the owner. The origin's own step is free.
 *
 * Two measurements, the same routing code (ChordCore.nextHop driven by
 * LookupWalk):
 *  - k = 1..10 on the pure core (RingModel: finger tables, successor lists and
 *    predecessors set to what stabilization converges to), averaged over
 *    enough random rings to hold ≥ 256 gateways, since one small ring's mean
 *    depends on how its few ids happen to fall;
 *  - k = 1..5 on gateway actors in the simulator, the ring formed by joins and
 *    run until every successor, predecessor and finger is correct: every
 *    lookup's owner is right and its hop count equals the model's for the same
 *    ring, origin and key, so the model's figure is the actors' figure.
 */
const FILE = 'props/ring-path-length.test.ts';

function randomIds(seed: number, count: number): RingId[] {
  return Array.from({ length: count }, (_, i) => ringId(`gateway-${seed}-${i}`));
}

/** Mean hops over `lookups` random lookups spread over rings holding ≥ 256 gateways in all. */
function modelMeanPathLength(k: number, seed: number, lookups: number): number {
  const n = 1 << k;
  const rings = Math.max(1, 256 >> k);
  const perRing = Math.ceil(lookups / rings);
  let hops = 0;
  let count = 0;
  for (let ring = 0; ring < rings; ring++) {
    const model = new RingModel(randomIds(seed * 1000 + ring, n), { successorListLength: gatewayDefaults.successorListLength });
    for (let j = 0; j < perRing; j++) {
      const origin = model.ids[(j * 7919 + ring) % n]!;
      const key = ringId(`key-${seed}-${ring}-${j}`);
      const result = model.lookup(origin, key);
      if ('failed' in result) throw new Error(`lookup failed on a stable ring: ${result.failed}`);
      if (result.owner !== model.successorOf(key)) throw new Error(`wrong owner for ${key.toString(16)}`);
      hops += result.hops;
      count++;
    }
  }
  return hops / count;
}

describe('ring path length (Chord: ½·log₂N)', () => {
  it('pure core, N = 2^k for k = 1..10: mean path within 0.5 hop of ½·log₂N', async () => {
    const seen: string[] = [];
    await checkProperty(
      FILE,
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 1_000_000 }), (k, seed) => {
        const mean = modelMeanPathLength(k, seed, 2_000);
        seen.push(`k=${k} mean=${mean.toFixed(3)} half-log=${k / 2}`);
        if (Math.abs(mean - k / 2) > 0.5) throw new Error(`k=${k}: mean path ${mean.toFixed(3)} not within 0.5 of ${k / 2}`);
      }),
      20,
    );
    if (process.env.RING_REPORT) console.log(seen.join('\n'));
  });

  it('every k from 1 to 10 once (deterministic sweep)', () => {
    for (let k = 1; k <= 10; k++) {
      const mean = modelMeanPathLength(k, 42, 2_000);
      if (process.env.RING_REPORT) console.log(`model k=${k} N=${1 << k} mean=${mean.toFixed(3)} ½log₂N=${k / 2}`);
      expect(Math.abs(mean - k / 2)).toBeLessThanOrEqual(0.5);
    }
  });

  it('stabilized actor ring in the simulator, N = 2^k for k = 1..6: owners right, hops equal to the model', async () => {
    await checkProperty(
      FILE,
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 1_000_000 }), async (k, seed) => {
        const { mean } = await actorMeanPathLength(k, seed, 32);
        if (process.env.RING_REPORT) console.log(`actor k=${k} N=${1 << k} mean=${mean.toFixed(3)} (one ring, 32 lookups)`);
      }),
      10,
    );
  });

  it('stabilized actor rings of 64 and 128 gateways: mean path within 0.5 hop of ½·log₂N', async () => {
    for (const k of [6, 7]) {
      const { mean } = await actorMeanPathLength(k, 7, 256);
      if (process.env.RING_REPORT) console.log(`actor k=${k} N=${1 << k} mean=${mean.toFixed(3)} ½log₂N=${k / 2} (one ring, 256 lookups)`);
      expect(Math.abs(mean - k / 2)).toBeLessThanOrEqual(0.5);
    }
  });
});

/**
 * Forms a ring of 2^k gateway actors by joins (each through the gateways
 * before it), runs until every successor list, predecessor and finger is
 * right, then looks up `lookups` random keys from rotating origins, checking
 * each owner and that each hop count equals the model's on the same ids.
 */
async function actorMeanPathLength(k: number, seed: number, lookups: number): Promise<{ mean: number }> {
  const n = 1 << k;
  const sim = new Simulation({ seed, faults: { minDelayMs: 1, maxDelayMs: 5 }, trace: false });
  const ring = new SimRing(sim);
  const names = Array.from({ length: n }, (_, i) => `g${seed}-${i}`);
  ring.add(names[0]!);
  for (let i = 1; i < n; i++) sim.schedule(i * 50, () => ring.add(names[i]!, names.slice(0, i)));
  const r = gatewayDefaults.successorListLength;
  const ok = await ring.runUntilChecked(() => ring.live().length === n && ring.isStable(r) && ring.fingersCorrect(), 1_000, 600_000);
  if (!ok) throw new Error(`ring of ${n} did not converge within 600 s of virtual time`);
  const model = new RingModel(
    ring.ring().map((g) => g.id),
    { successorListLength: r },
  );
  let hops = 0;
  for (let j = 0; j < lookups; j++) {
    const origin = names[j % n]!;
    const key = ringId(`key-${seed}-${j}`);
    const reply = await ring.ask<LookupReply>(origin, ring.ref(origin), { kind: 'lookup', keyId: key }, 30_000);
    if (reply.kind !== 'lookup-ok') throw new Error(`lookup failed: ${reply.reason}`);
    if (reply.owner.id !== model.successorOf(key)) throw new Error(`wrong owner ${reply.owner.ref.address.system} for ${key.toString(16)}`);
    const expected = model.lookup(ring.actors.get(origin)!.id, key);
    if (!('hops' in expected) || expected.hops !== reply.hops) {
      throw new Error(`actor took ${reply.hops} hops, model ${JSON.stringify('hops' in expected ? expected.hops : expected)}`);
    }
    hops += reply.hops;
  }
  return { mean: hops / lookups };
}
