import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTopology } from './load.js';
import { cutBetween, linkBetween, partitionSides, resolveTopology } from './resolve.js';
import { defineTopology, type Topology } from './schema.js';
import { TopologyError, validateTopology } from './validate.js';

const small = defineTopology({
  name: 'small',
  groups: [
    { id: 'g1', nodes: ['a1', { name: 'a2', tier: 'low', placement: 'thread' }] },
    { id: 'g2', nodes: ['b1'], gateway: 'gw2' },
  ],
  links: [
    { between: ['*', '*'], latencyMs: 1 },
    { between: ['gateway', 'gateway'], latencyMs: 5 },
    { from: 'client', to: 'group:g2', latencyMs: 3, loss: 0.1 },
  ],
  timeline: [
    { at: '2s', do: 'heal' },
    { at: 1, do: 'crash', node: 'a1' },
    { at: '3s', do: 'gateway-join', gateway: 'gw2' },
  ],
  workload: { kind: 'ycsb', workload: ['A', 'C'], clients: [1, 4], duration: '500ms' },
});

/** The TopologyError a mutated copy of `small` raises. */
function errorOf(mutate: (t: Record<string, any>) => void): TopologyError {
  const t = structuredClone(small) as Record<string, any>;
  mutate(t);
  try {
    validateTopology(t);
  } catch (error) {
    expect(error).toBeInstanceOf(TopologyError);
    return error as TopologyError;
  }
  throw new Error('expected a TopologyError');
}

describe('topology validation', () => {
  it('accepts a valid topology unchanged', () => {
    expect(validateTopology(small)).toBe(small);
  });

  it.each([
    ['groups[0].nodes[1].tier', (t: any) => (t.groups[0].nodes[1].tier = 'turbo'), /unknown tier "turbo"/],
    ['groups[1].nodes', (t: any) => (t.groups[1].nodes = []), /must not be empty/],
    ['groups[1].nodes[0]', (t: any) => (t.groups[1].nodes[0] = 'a1'), /named twice/],
    ['links[2].loss', (t: any) => (t.links[2].loss = 1.5), /in 0..1/],
    ['links[0].between[1]', (t: any) => (t.links[0].between[1] = 'nobody'), /not a host/],
    ['links[1]', (t: any) => (t.links[1].from = 'edge'), /not both/],
    ['timeline[1].node', (t: any) => (t.timeline[1].node = 'zz'), /no host named "zz"/],
    ['timeline[0].do', (t: any) => (t.timeline[0].do = 'explode'), /unknown event "explode"/],
    ['timeline[0].at', (t: any) => (t.timeline[0].at = '5 minutes'), /"1500ms"/],
    ['timeline[2].gateway', (t: any) => (t.timeline[2].gateway = 'a1'), /an edge node, not a gateway/],
    ['workload.workload[1]', (t: any) => (t.workload.workload[1] = 'G'), /one of A..F/],
    ['workload.clients[0]', (t: any) => (t.workload.clients[0] = 0), /whole number ≥ 1/],
    ['workload.kind', (t: any) => (t.workload.kind = 'tpcc'), /must be ycsb/],
    ['name', (t: any) => (t.name = 'My Topology'), /lower-case/],
    ['grups', (t: any) => (t.grups = []), /unknown field/],
    ['variants.fast.tiers.gw2', (t: any) => (t.variants = { fast: { tiers: { gw2: 'high' } } }), /a gateway, not an edge node/],
  ])('names the bad field: %s', (path, mutate, problem) => {
    const error = errorOf(mutate);
    expect(error.path).toBe(path);
    expect(error.message).toMatch(problem);
    expect(error.message.startsWith(`${path}: `)).toBe(true);
  });
});

describe('topology resolution', () => {
  const r = resolveTopology(small);
  const hosts = new Map(r.hosts.map((h) => [h.name, h]));

  it('lists hosts, layout, phases and a default variant', () => {
    expect(r.hosts.map((h) => `${h.name}:${h.role}:${h.placement}`)).toEqual(['a1:edge:process', 'a2:edge:thread', 'b1:edge:process', 'g1-gw:gateway:process', 'gw2:gateway:process']);
    expect(r.layout.groups).toEqual([
      { id: 'g1', members: ['a1', 'a2'], gateway: 'g1-gw' },
      { id: 'g2', members: ['b1'], gateway: 'gw2' },
    ]);
    expect(r.workload!.phases.map((p) => p.name)).toEqual(['ycsb-A@1', 'ycsb-A@4', 'ycsb-C@1', 'ycsb-C@4']);
    expect(r.workload!.phases[0]!.durationMs).toBe(500);
    expect(r.variants.map((v) => v.name)).toEqual(['default']);
    expect(r.variants[0]!.tiers).toEqual({ a2: 'low' });
  });

  it('sorts the timeline and finds gateways that join later', () => {
    expect(r.timeline.map((e) => [e.atMs, e.label])).toEqual([
      [1000, 'crash a1'],
      [2000, 'heal'],
      [3000, 'gateway-join gw2'],
    ]);
    expect(r.lateGateways).toEqual(['gw2']);
  });

  it('takes each link from the last matching rules, field by field', () => {
    expect(linkBetween(r.variants[0]!.links, 'a1', 'a2', hosts)).toEqual({ latencyMs: 1 });
    expect(linkBetween(r.variants[0]!.links, 'g1-gw', 'gw2', hosts)).toEqual({ latencyMs: 5 });
    expect(linkBetween(r.variants[0]!.links, 'client', 'b1', hosts)).toEqual({ latencyMs: 3, loss: 0.1 });
    expect(linkBetween(r.variants[0]!.links, 'b1', 'client', hosts)).toEqual({ latencyMs: 1 });
    expect(linkBetween([], 'a1', 'b1', hosts)).toBeUndefined();
  });

  it('cuts exactly the links across partition sides', () => {
    const sides = partitionSides([['group:g1'], ['b1']], r.hosts);
    expect([...sides[0]!]).toEqual(['a1', 'a2', 'g1-gw']);
    expect(cutBetween([sides], 'a1', 'b1')).toBe(true);
    expect(cutBetween([sides], 'b1', 'g1-gw')).toBe(true);
    expect(cutBetween([sides], 'a1', 'a2')).toBe(false);
    expect(cutBetween([sides], 'gw2', 'a1')).toBe(false);
  });

  it('refuses a ring with no gateway at the start', () => {
    const t: Topology = { ...small, timeline: [{ at: 1, do: 'gateway-join', gateway: 'gw2' }, { at: 1, do: 'gateway-join', gateway: 'g1-gw' }] };
    expect(() => resolveTopology(validateTopology(t))).toThrow(/at least one gateway/);
  });
});

describe('shipped topologies', () => {
  const files = readdirSync(new URL('.', import.meta.url)).filter((f) => f.endsWith('.topology.ts'));
  it('exist', () => expect(files.length).toBeGreaterThanOrEqual(3));
  it.each(files)('%s loads and validates', async (file) => {
    const t = await loadTopology(new URL(file, import.meta.url).pathname);
    expect(`${t.name}.topology.ts`).toBe(file);
    expect(t.hosts.length).toBeGreaterThan(0);
  });
  it('finds a shipped topology by name, and says what is missing', async () => {
    expect((await loadTopology('default')).name).toBe('default');
    await expect(loadTopology('no-such-topology')).rejects.toThrow(/no topology file no-such-topology/);
  });
});
