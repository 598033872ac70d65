import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { standinBootModule } from '../../cli/cluster/testing/spawn-up.js';
import { fnv64, ScrambledZipfianGenerator, seededRandom, SkewedLatestGenerator, ZipfianGenerator } from './generators.js';
import { parseYcsbArgs, runYcsb } from './index.js';

describe('YCSB generators', () => {
  it('zipfian favours low ranks, stays in range, and is repeatable from its seed', () => {
    const draw = (seed: number) => {
      const z = new ZipfianGenerator(1000, seededRandom(seed));
      return Array.from({ length: 5000 }, () => z.next());
    };
    const a = draw(7);
    expect(draw(7)).toEqual(a);
    expect(a.every((r) => r >= 0 && r < 1000)).toBe(true);
    const zeros = a.filter((r) => r === 0).length;
    const tail = a.filter((r) => r >= 500).length;
    expect(zeros).toBeGreaterThan(tail / 10);
    const s = new ScrambledZipfianGenerator(1000, seededRandom(1));
    expect(Array.from({ length: 1000 }, () => s.next()).every((r) => r >= 0 && r < 1000)).toBe(true);
    expect(fnv64(0)).not.toBe(fnv64(1));
  });

  it('skewed-latest favours the newest items as items are added', () => {
    let n = 100;
    const g = new SkewedLatestGenerator(() => n, seededRandom(3));
    n = 200;
    const draws = Array.from({ length: 2000 }, () => g.next());
    expect(draws.every((d) => d >= 0 && d < 200)).toBe(true);
    expect(draws.filter((d) => d >= 190).length).toBeGreaterThan(draws.filter((d) => d < 100).length);
  });
});

describe('bench/ycsb smoke', () => {
  it('runs a tiny workload of every kind on a stand-in cluster and prints parseable RESULT lines', async () => {
    const options = { ...parseYcsbArgs(['--quick', '--anchor', 'none', '--records', '40', '--operations', '60', '--clients', '4', '--groups', '1']), bootModule: standinBootModule };
    const lines: string[] = [];
    await runYcsb(options, (l) => lines.push(l), () => undefined);
    const results = lines.filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice('RESULT '.length)) as Record<string, unknown>);
    const totals = results.filter((r) => r.op === 'all');
    expect(totals.map((r) => r.workload)).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
    for (const r of results) {
      expect(r).toMatchObject({ bench: 'ycsb', system: 'edgekv' });
      expect(typeof r.ops_per_sec).toBe('number');
      expect(typeof r.p50_ms).toBe('number');
      expect(typeof r.p99_ms).toBe('number');
    }
    for (const t of totals) expect(t.ops).toBe(60);
    expect(results.find((r) => r.workload === 'E' && r.op === 'scan')).toBeDefined();
    expect(results.find((r) => r.workload === 'F' && r.op === 'read-modify-write')).toBeDefined();
  });
});

describe.skipIf(spawnSync('sh', ['-c', 'command -v etcd']).status !== 0)('bench/ycsb smoke, etcd anchor', () => {
  it('runs the same tiny workloads on etcd and prints the ratio lines', async () => {
    const options = {
      ...parseYcsbArgs(['--quick', '--workloads', 'A,E', '--records', '20', '--operations', '30', '--clients', '2', '--groups', '1']),
      bootModule: standinBootModule,
    };
    const lines: string[] = [];
    await runYcsb(options, (l) => lines.push(l), () => undefined);
    const results = lines.filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice('RESULT '.length)) as Record<string, unknown>);
    expect(results.filter((r) => r.system === 'etcd' && r.op === 'all').map((r) => r.workload)).toEqual(['A', 'E']);
    expect(results.filter((r) => r.system === 'etcd' && r.op === 'all').every((r) => r.errors === 0)).toBe(true);
    expect(results.filter((r) => r.system === 'ratio').map((r) => r.workload)).toEqual(['A', 'E']);
  });
});
