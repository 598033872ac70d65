import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EdgeKVClient } from '../../api/client.js';
import { ClusterRunningError, LayoutMismatchError, UsageError } from '../errors.js';
import { Cluster, type HostMode } from './cluster.js';
import { loadOrCreateSecret, readRunFile, resolvePlan, writeClusterFile } from './data-dir.js';
import { planCluster } from './layout.js';
import { findFreePortRange } from './ports.js';
import { standinBootModule } from './testing/spawn-up.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgekv-cluster-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('layout and data directory', () => {
  it('names hosts as the contract does and gives each edge node a gRPC port and every host an internal port', () => {
    const plan = planCluster({ groups: 2, nodesPerGroup: 3, host: '127.0.0.1', basePort: 7001, internalBasePort: 7101 });
    expect(plan.layout.groups[1]).toEqual({ id: 'g2', members: ['g2-n1', 'g2-n2', 'g2-n3'], gateway: 'g2-gw' });
    expect(plan.hosts.map((h) => h.name)).toEqual(['g1-n1', 'g1-n2', 'g1-n3', 'g2-n1', 'g2-n2', 'g2-n3', 'g1-gw', 'g2-gw']);
    expect(plan.hosts[3]).toMatchObject({ role: 'edge', apiPort: 7004, internalPort: 7104 });
    expect(plan.hosts[7]).toMatchObject({ role: 'gateway', name: 'g2-gw', internalPort: 7108 });
  });

  it('refuses overlapping port ranges and empty layouts', () => {
    expect(() => planCluster({ groups: 40, nodesPerGroup: 3, host: '127.0.0.1', basePort: 7001, internalBasePort: 7101 })).toThrow(UsageError);
    expect(() => planCluster({ groups: 0, nodesPerGroup: 3, host: '127.0.0.1', basePort: 7001, internalBasePort: 7101 })).toThrow(UsageError);
  });

  it('brings back the saved layout, lets ports change, and refuses another layout with a clear message', () => {
    const dir = tempDir();
    const { plan, existing } = resolvePlan(dir, { groups: 2, nodesPerGroup: 1, basePort: 9001 });
    expect(existing).toBe(false);
    expect(plan.internalBasePort).toBe(9101);
    writeClusterFile(dir, plan);
    const again = resolvePlan(dir, {});
    expect(again.existing).toBe(true);
    expect(again.plan).toMatchObject({ groups: 2, nodesPerGroup: 1, basePort: 9001, internalBasePort: 9101 });
    expect(resolvePlan(dir, { basePort: 9501 }).plan).toMatchObject({ basePort: 9501, internalBasePort: 9601 });
    expect(() => resolvePlan(dir, { groups: 3 })).toThrow(LayoutMismatchError);
    expect(() => resolvePlan(dir, { groups: 3 })).toThrow(/holds a cluster of 2 groups × 1 edge node \+ 2 gateways, but 3 groups/);
  });

  it('generates the cluster secret once (owner-only) and reuses it', () => {
    const dir = tempDir();
    const secret = loadOrCreateSecret(dir);
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(dir, 'cluster.secret')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSecret(dir)).toBe(secret);
  });
});

async function exercise(cluster: Cluster): Promise<void> {
  const [n1, n2, n3] = cluster.endpoints;
  const a = new EdgeKVClient({ endpoints: [n2!], timeoutMs: 5_000 });
  const b = new EdgeKVClient({ endpoints: [n3!], timeoutMs: 5_000 });
  try {
    // The stand-in keeps g1's local keys on g1-n1 and global keys on g1-n1 too:
    // every call below crosses from one host to another.
    await a.put('k-local', 'v1');
    await a.put('k-global', 'v2', { scope: 'global' });
    expect((await b.get('k-local'))?.toString()).toBe('v1');
    expect((await b.get('k-global', { scope: 'global' }))?.toString()).toBe('v2');
    expect(await b.get('k-global')).toBeUndefined();
    const status = await new EdgeKVClient({ endpoints: [n1!] }).status();
    expect(status.groups.map((g) => g.leader)).toEqual(cluster.plan.layout.groups.map((g) => g.members[0]));
  } finally {
    a.close();
    b.close();
  }
}

describe.each<HostMode>(['threads', 'processes'])('a cluster of stand-in nodes as %s', (mode) => {
  let cluster: Cluster | undefined;
  const lines: string[] = [];
  afterAll(async () => {
    await cluster?.stop();
  });

  it('starts, serves both scopes across hosts, restarts a crashed host, and stops cleanly', async () => {
    const dir = tempDir();
    const basePort = await findFreePortRange(120);
    cluster = await Cluster.start({
      dataDir: dir,
      groups: 2,
      nodesPerGroup: 3,
      basePort,
      internalBasePort: basePort + 100,
      mode,
      bootModule: standinBootModule,
      out: (l) => lines.push(l),
    });
    expect(cluster.endpoints).toHaveLength(6);
    await cluster.waitReady(20_000);
    await exercise(cluster);
    expect(Object.keys(readRunFile(dir)!.hosts)).toHaveLength(8);
    await expect(Cluster.start({ dataDir: dir, mode, bootModule: standinBootModule })).rejects.toThrow(ClusterRunningError);

    if (mode === 'processes') {
      const victim = cluster.pids()['g1-n2']!;
      process.kill(victim, 'SIGKILL');
      await expect.poll(() => lines.some((l) => /g1-n2 restarted/.test(l)), { timeout: 30_000, interval: 100 }).toBe(true);
      expect(cluster.pids()['g1-n2']).not.toBe(victim);
      await exercise(cluster); // the restarted host is back in the authenticated TCP mesh
    } else {
      // The thread of g1-n2 exits; its restart gets fresh channels to every live thread, and they to it.
      const crasher = new EdgeKVClient({ endpoints: [cluster.endpoints[1]!], timeoutMs: 2_000 });
      await crasher.put('__crash__', 'x').catch(() => undefined);
      crasher.close();
      await expect.poll(() => lines.some((l) => /g1-n2 restarted/.test(l)), { timeout: 30_000, interval: 100 }).toBe(true);
      expect(lines.some((l) => /g1-n2 stopped unexpectedly \(exit code 3\)/.test(l))).toBe(true);
      await exercise(cluster);
    }
    await cluster.stop();
    expect(readRunFile(dir)).toBeUndefined();
  });
});
