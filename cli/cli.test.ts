// The `edgekv` command as a user runs it (child processes), on stand-in nodes
// (cli/cluster/testing/standin-edge.ts): flags, output, Ctrl-C, restart rules.
// The real nodes are exercised by e2e.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findFreePortRange } from './cluster/ports.js';
import { edgekv, edgekvAsync, standinBootModule, UpProcess } from './cluster/testing/spawn-up.js';

const env = { EDGEKV_BOOT_MODULE: standinBootModule };
const dataDir = mkdtempSync(join(tmpdir(), 'edgekv-cli-'));
const running: UpProcess[] = [];

afterAll(async () => {
  await Promise.all(running.map((u) => u.kill()));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('edgekv (stand-in nodes)', () => {
  it('up prints the endpoints; put/get/range/del/status talk to it; Ctrl-C stops it with exit code 0', async () => {
    const basePort = await findFreePortRange(110);
    const up = new UpProcess(dataDir, ['--groups', '1', '--nodes-per-group', '2', '--base-port', String(basePort), '--mode', 'processes', '--pilot', 'off'], env);
    running.push(up);
    await up.waitFor(/edgekv up: ready; clients connect to/, 45_000);
    expect(up.lines.join('\n')).toContain(`127.0.0.1:${basePort}`);
    const cluster = JSON.parse(readFileSync(join(dataDir, 'cluster.json'), 'utf8')) as { endpoints: string[] };
    expect(cluster.endpoints).toEqual([`127.0.0.1:${basePort}`, `127.0.0.1:${basePort + 1}`]);

    // Endpoints come from the data dir's cluster file.
    const at = ['--data-dir', dataDir];
    const [putLocal, putGlobal] = await Promise.all([edgekvAsync(['put', 'a', '1', ...at]), edgekvAsync(['put', 'a', 'g', '--scope', 'global', ...at])]);
    expect(putLocal).toMatchObject({ code: 0, stdout: 'OK\n' });
    expect(putGlobal).toMatchObject({ code: 0, stdout: 'OK\n' });
    const [getGlobal, range, status, badScope] = await Promise.all([
      edgekvAsync(['get', 'a', '--scope', 'global', '--endpoints', `127.0.0.1:${basePort + 1}`]),
      edgekvAsync(['range', 'a', ...at]),
      edgekvAsync(['status', ...at]),
      edgekvAsync(['get', 'a', '--scope', 'nowhere', ...at]),
    ]);
    expect(getGlobal).toMatchObject({ code: 0, stdout: 'g\n' });
    expect(range).toMatchObject({ code: 0, stdout: 'a\t1\n' });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/g1\s+g1-n1,g1-n2\s+g1-n1/);
    expect(badScope.code).toBe(2);
    expect(await edgekvAsync(['del', 'a', ...at])).toMatchObject({ code: 0 });
    expect(await edgekvAsync(['get', 'a', ...at])).toMatchObject({ code: 1, stderr: 'a: not found (local)\n' });

    expect(await up.interrupt()).toEqual({ code: 0, signal: null });
    expect(up.lines).toContain('edgekv up: stopped');
    for (const pid of Object.values(up.hostPids())) expect(() => process.kill(pid, 0)).toThrow();
  });

  it('refuses another layout on an existing data directory, and names the way out', async () => {
    const up = new UpProcess(dataDir, ['--groups', '2'], env);
    running.push(up);
    expect((await up.exited).code).toBe(1);
    expect(up.tail()).toMatch(/holds a cluster of 1 group × 2 edge nodes \+ 1 gateway, but 2 groups × 2 edge nodes \+ 2 gateways was asked for/);
  });

  it('keeps the runtime demo reachable as `edgekv demo`', () => {
    const r = edgekv(['demo', '--seconds', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/round trips\/s/);
  });
});
