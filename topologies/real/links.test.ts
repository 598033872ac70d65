import { describe, expect, it } from 'vitest';
import { resolveTopology } from '../resolve.js';
import { defineTopology } from '../schema.js';
import { LinkState } from './links.js';

const t = resolveTopology(
  defineTopology({
    name: 'links',
    groups: [
      { id: 'g1', nodes: ['a1', 'a2'] },
      { id: 'g2', nodes: ['b1'] },
    ],
    links: [
      { between: ['*', '*'], latencyMs: 1 },
      { between: ['gateway', 'gateway'], latencyMs: 5, jitterMs: 1 },
      { from: 'client', to: 'edge', latencyMs: 2.5 },
    ],
  }),
);

describe('LinkState', () => {
  it('gives every host a table of its outgoing links', () => {
    const links = new LinkState(t.hosts, t.variants[0]!.links);
    const tables = links.tables();
    expect(Object.keys(tables).sort()).toEqual(['a1', 'a2', 'b1', 'g1-gw', 'g2-gw']);
    expect(tables['a1']!['a2']).toEqual({ latencyMs: 1 });
    expect(tables['g1-gw']!['g2-gw']).toEqual({ latencyMs: 5, jitterMs: 1 });
    expect(tables['a1']!['a1']).toBeUndefined();
    expect(links.shape('client', 'b1')).toEqual({ latencyMs: 2.5 });
    expect(links.shape('b1', 'client')).toEqual({ latencyMs: 1 });
  });

  it('blocks links across a partition until healed, and applies added rules on top', () => {
    const links = new LinkState(t.hosts, t.variants[0]!.links);
    links.partition([['group:g1'], ['group:g2']]);
    expect(links.tables()['a1']!['b1']).toEqual({ latencyMs: 1, blocked: true });
    expect(links.tables()['g2-gw']!['a2']).toEqual({ latencyMs: 1, blocked: true });
    expect(links.tables()['a1']!['a2']).toEqual({ latencyMs: 1 });
    expect(links.shape('client', 'a1')).toEqual({ latencyMs: 2.5 });
    links.heal();
    expect(links.tables()['a1']!['b1']).toEqual({ latencyMs: 1 });
    links.addRule({ from: 'a1', to: 'b1', loss: 0.5 });
    expect(links.tables()['a1']!['b1']).toEqual({ latencyMs: 1, loss: 0.5 });
    expect(links.tables()['b1']!['a1']).toEqual({ latencyMs: 1 });
  });
});
