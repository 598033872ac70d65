// `edgekv run` and `edgekv up --topology` as a user runs them (child processes).
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findFreePortRange } from './cluster/ports.js';
import { edgekvAsync, standinBootModule, UpProcess } from './cluster/testing/spawn-up.js';

const dir = mkdtempSync(join(tmpdir(), 'edgekv-topology-cli-'));
const running: UpProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((u) => u.kill()));
  rmSync(dir, { recursive: true, force: true });
});

const schema = new URL('../topologies/schema.ts', import.meta.url).pathname;
function topologyFile(name: string, body: string): string {
  const file = join(dir, `${name}.topology.ts`);
  writeFileSync(file, `import { defineTopology } from ${JSON.stringify(schema)};\nexport default defineTopology(${body});\n`);
  return file;
}

describe('edgekv run', () => {
  it('runs a topology in the simulator and names the results it wrote', async () => {
    const file = topologyFile(
      'tiny',
      `{ name: 'tiny', groups: [{ id: 'g1', nodes: ['a1', 'a2', 'a3'] }, { id: 'g2', nodes: ['b1'] }],
         links: [{ between: ['*', '*'], latencyMs: 2 }],
         timeline: [{ at: 1, do: 'crash', node: 'a1' }],
         workload: { kind: 'ycsb', workload: 'A', records: 50, clients: 2, duration: '3s' } }`,
    );
    const results = join(dir, 'results');
    const r = await edgekvAsync(['run', file, '--sim', '--results', results]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^RESULT \{"bench":"topology:tiny"/m);
    expect(r.stdout).toContain('crash a1');
    const [runDir] = readdirSync(join(results, 'tiny'));
    for (const f of ['samples.jsonl', 'summary.md', 'throughput.svg', 'latency.svg']) expect(existsSync(join(results, 'tiny', runDir!, f))).toBe(true);
    const again = await edgekvAsync(['report', join(results, 'tiny', runDir!)]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('ycsb-A@2');
  }, 60_000);

  it('refuses an invalid topology, naming the bad field, and runs nothing', async () => {
    const file = topologyFile('bad', `{ name: 'bad', groups: [{ id: 'g1', nodes: [{ name: 'a1', tier: 'turbo' as any }] }] }`);
    const r = await edgekvAsync(['run', file, '--sim', '--results', join(dir, 'bad-results')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/groups\[0\]\.nodes\[0\]\.tier: unknown tier "turbo"/);
    expect(existsSync(join(dir, 'bad-results'))).toBe(false);
  });
});

describe('edgekv up --topology (stand-in nodes)', () => {
  it('starts the topology layout, plays its timeline, and stops on Ctrl-C', async () => {
    const basePort = await findFreePortRange(110);
    const file = topologyFile(
      'updemo',
      `{ name: 'updemo', placement: 'thread', groups: [{ id: 'east', nodes: ['e1', { name: 'e2', placement: 'process' }] }],
         links: [{ between: ['*', '*'], latencyMs: 1 }],
         timeline: [{ at: 0.5, do: 'load', node: 'e1', threads: 2 }] }`,
    );
    const up = new UpProcess(join(dir, 'up-data'), ['--topology', file, '--base-port', String(basePort)], { EDGEKV_BOOT_MODULE: standinBootModule });
    running.push(up);
    await up.waitFor(/edgekv up: t=.* load e1 2 threads/, 45_000);
    const text = up.lines.join('\n');
    expect(text).toMatch(/from topology updemo \(default\)/);
    expect(text).toMatch(/east\s+e1\s+127\.0\.0\.1:\d+\s+thread/);
    expect(text).toMatch(/east\s+e2\s+127\.0\.0\.1:\d+\s+127\.0\.0\.1:\d+/);
    expect(await up.interrupt()).toEqual({ code: 0, signal: null });
  }, 60_000);
});
