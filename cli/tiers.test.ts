import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cluster } from './cluster/cluster.js';
import { findFreePortRange } from './cluster/ports.js';
import { standinBootModule } from './cluster/testing/spawn-up.js';
import { UsageError } from './errors.js';
import { parseTiers } from './tiers.js';

describe('edgekv up --tiers', () => {
  it('reads tier names and CORES:SPEED per node', () => {
    expect(parseTiers('g1-n1=high, g1-n2=low,g2-n1=4:0.5')).toEqual({
      'g1-n1': 'high',
      'g1-n2': 'low',
      'g2-n1': { name: '4:0.5', cores: 4, speedFactor: 0.5 },
    });
  });

  it.each([
    ['g1-n1', /is not NODE=TIER/],
    ['g1-n1=turbo', /use high, medium, low, or CORES:SPEED/],
    ['g1-n1=0:1', /CORES:SPEED/],
    ['g1-n1=4:0', /CORES:SPEED/],
  ])('refuses %s with a usage error', (text, message) => {
    expect(() => parseTiers(text)).toThrow(UsageError);
    expect(() => parseTiers(text)).toThrow(message);
  });

  it('refuses a tier for a node the cluster does not have, before starting anything', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'edgekv-tiers-'));
    try {
      const basePort = await findFreePortRange(110);
      const start = Cluster.start({ dataDir, groups: 1, nodesPerGroup: 1, basePort, bootModule: standinBootModule, pilot: { tiers: { 'g9-n9': 'low' } } });
      await expect(start).rejects.toThrow(/tiers for g9-n9: no such edge node \(the nodes are g1-n1\)/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
