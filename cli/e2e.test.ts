// End to end: the `edgekv` command starts a real multi-process cluster on
// loopback (Raft groups on lmdb, gateways on a ring, TCP with the cluster
// secret); the gRPC client writes and reads both scopes; a group leader's
// process is SIGKILLed while writes go on; every acknowledged write must be
// readable afterwards, and again after Ctrl-C and a restart on the same data.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EdgeKVClient } from '../api/client.js';
import { Cluster } from './cluster/cluster.js';
import { findFreePortRange } from './cluster/ports.js';
import { UpProcess } from './cluster/testing/spawn-up.js';

const realNodes = existsSync(new URL('../actors/edge/index.ts', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'edgekv-e2e-'));
const running: UpProcess[] = [];
const clients: EdgeKVClient[] = [];

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(running.map((u) => u.kill()));
  rmSync(dataDir, { recursive: true, force: true });
});

function client(endpoints: string[]): EdgeKVClient {
  const c = new EdgeKVClient({ endpoints, timeoutMs: 15_000 });
  clients.push(c);
  return c;
}

let globalLostAfterRestart: number | undefined;

type Written = { key: string; value: string; scope: 'local' | 'global' };

describe.skipIf(!realNodes)('edgekv up, end to end (2 groups × 3 nodes as processes)', () => {
  it('keeps every acknowledged write through a leader crash, and local ones through a restart of the whole cluster', { timeout: 120_000 }, async () => {
    const basePort = await findFreePortRange(120);
    const up = new UpProcess(dataDir, ['--mode', 'processes', '--groups', '2', '--nodes-per-group', '3', '--base-port', String(basePort)]);
    running.push(up);
    await up.waitFor(/edgekv up: ready; clients connect to/, 60_000);
    const g1 = [0, 1, 2].map((i) => `127.0.0.1:${basePort + i}`);
    const all = [0, 1, 2, 3, 4, 5].map((i) => `127.0.0.1:${basePort + i}`);
    // Local keys live in the group a client talks to: this client stays in g1.
    const near = client(g1);
    const anywhere = client(all.slice(3));

    const acked: Written[] = [];
    const write = async (w: Written): Promise<void> => {
      await near.put(w.key, w.value, { scope: w.scope });
      acked.push(w);
    };
    for (let i = 0; i < 10; i++) {
      await write({ key: `before-${i}`, value: `L${i}`, scope: 'local' });
      await write({ key: `before-${i}`, value: `G${i}`, scope: 'global' });
    }
    expect((await near.get('before-3'))?.toString()).toBe('L3');
    expect((await anywhere.get('before-3', { scope: 'global' }))?.toString()).toBe('G3');
    expect(await anywhere.get('before-3')).toBeUndefined(); // g2's local keyspace is its own

    const status = await near.status();
    const leader = status.groups.find((g) => g.group === 'g1')?.leader;
    expect(leader).toMatch(/^g1-n\d$/);
    const pid = up.hostPids()[leader!]!;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');

    // Writes go on while g1 elects a new leader; some may fail, none acknowledged may be lost.
    const failures: string[] = [];
    const stopWritingAt = Date.now() + 25_000; // bounds the test if the group never recovers
    await Promise.all(
      [0, 1, 2, 3].map(async (lane) => {
        for (let i = 0; i < 8 && Date.now() < stopWritingAt; i++) {
          for (const scope of ['local', 'global'] as const) {
            await write({ key: `after-${lane}-${i}`, value: `${scope}-${lane}-${i}`, scope }).catch((e: Error) => failures.push(e.message));
          }
        }
      }),
    );
    expect(acked.length).toBeGreaterThan(40);
    const check = async (reader: EdgeKVClient): Promise<void> => {
      for (const w of acked) expect(`${w.scope}:${w.key}=${(await reader.get(w.key, { scope: w.scope }))?.toString()}`).toBe(`${w.scope}:${w.key}=${w.value}`);
    };
    await check(near);
    await up.waitFor(new RegExp(`${leader} restarted`), 30_000);

    expect(await up.interrupt()).toEqual({ code: 0, signal: null });

    const again = new UpProcess(dataDir, ['--mode', 'processes']);
    running.push(again);
    await again.waitFor(/edgekv up: ready; clients connect to/, 60_000);
    const afterRestart = client(g1);
    const local = acked.filter((w) => w.scope === 'local');
    for (const w of local) expect(`${w.key}=${(await afterRestart.get(w.key))?.toString()}`).toBe(`${w.key}=${w.value}`);
    const global = acked.filter((w) => w.scope === 'global');
    let globalLost = 0;
    for (const w of global) if ((await afterRestart.get(w.key, { scope: 'global' }))?.toString() !== w.value) globalLost++;
    expect(await again.interrupt()).toEqual({ code: 0, signal: null });
    if (failures.length > 0) console.log(`writes refused during the failover (not acknowledged): ${failures.length}`);
    if (globalLost > 0) console.log(`acknowledged global writes missing after the restart: ${globalLost} of ${global.length}`);
    globalLostAfterRestart = globalLost;
  });

  // A restarted cluster re-forms its ring by joins; each join's range move
  // must keep the keys the joining gateway's group already owns.
  it('keeps acknowledged global writes across a restart of the whole cluster', () => {
    expect(globalLostAfterRestart).toBe(0);
  });
});

describe.skipIf(!realNodes)('a cluster of real nodes as worker threads (1 group × 3)', () => {
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('elects a leader over the MessagePort mesh, serves both scopes, and keeps local keys across a restart (EdgePilot on, then off)', async () => {
    const dir = join(dataDir, 'threads');
    const basePort = await findFreePortRange(110);
    const start = (pilot: boolean) => Cluster.start({ dataDir: dir, groups: 1, nodesPerGroup: 3, basePort, mode: 'threads', pilot: { enabled: pilot } });
    cluster = await start(true);
    const status = await cluster.waitReady(30_000);
    expect(status.groups[0]!.leader).toMatch(/^g1-n\d$/);
    // EdgePilot runs on every edge node: each one's compaction actor answers over the MessagePort mesh (polled: a busy thread may miss one status).
    let answered: string[] = [];
    for (let i = 0; i < 20 && answered.length < 3; i++) {
      answered = ((await client(cluster.endpoints).status()).compaction ?? []).map((n) => n.node).sort();
    }
    expect(answered).toEqual(['g1-n1', 'g1-n2', 'g1-n3']);
    const c = client(cluster.endpoints);
    await c.put('t-local', 'one');
    await c.put('t-global', 'two', { scope: 'global' });
    expect((await c.get('t-local'))?.toString()).toBe('one');
    expect((await c.get('t-global', { scope: 'global' }))?.toString()).toBe('two');
    await cluster.stop();
    cluster = await start(false);
    const off = await cluster.waitReady(30_000);
    expect(off.compaction).toBeUndefined(); // --pilot off reached every host: no pilot actors, no counters
    expect((await client(cluster.endpoints).get('t-local'))?.toString()).toBe('one');
    expect((await client(cluster.endpoints).get('t-global', { scope: 'global' }))?.toString()).toBe('two'); // one group: no range moves
    await cluster.stop();
  });
});
