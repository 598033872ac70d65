import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ActorSystem, MemoryLogger, Router, TcpTransport } from '../../runtime/index.js';
import type { CompactionReply, CompactionRequest, CompactionStats } from '../compaction/messages.js';
import { bootEdgeNode } from './boot.js';
import { edgePaths, type ClusterLayout, type EdgeNodeHandle, type EdgePilotConfig } from './contract.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Two single-member groups: `slow` (an emulated slow tier) and `fast`; only local keys are used, so no gateway runs. */
const layout: ClusterLayout = {
  groups: [
    { id: 'g1', members: ['slow'], gateway: 'g1-gw' },
    { id: 'g2', members: ['fast'], gateway: 'g2-gw' },
  ],
};
const T = 10_000;
const tiers: EdgePilotConfig['tiers'] = {
  // 20× slower merges than the host: EDGECODE prefers shipping them to `fast`.
  slow: { name: 'slow', cores: 2, speedFactor: 0.05 },
  fast: { name: 'fast', cores: 4, speedFactor: 1 },
};
/** Small memtables and an L0 trigger of 2: a few hundred KB of writes make merges. */
const lsm = { writeBufferSizeBytes: 32 * 1024, level0FileNumCompactionTrigger: 2 };

/** Both edge nodes in their own actor systems, connected only by the TCP transport (codec, frames, handshake). */
async function startCluster(pilot: EdgePilotConfig): Promise<{ nodes: Map<string, EdgeNodeHandle>; systems: Map<string, ActorSystem> }> {
  const root = mkdtempSync(join(tmpdir(), 'edge-pilot-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const systems = new Map<string, ActorSystem>();
  const transports = new Map<string, TcpTransport>();
  for (const name of ['slow', 'fast']) {
    const system = new ActorSystem({ name, logger: new MemoryLogger() });
    const transport = new TcpTransport({ router: new Router(system), secret: 'edge-pilot-test', reconnectBaseMs: 10, reconnectMaxMs: 50 });
    systems.set(name, system);
    transports.set(name, transport);
    cleanups.push(async () => {
      await transport.close();
      system.terminate();
    });
  }
  const port = await transports.get('fast')!.listen();
  await expect(transports.get('slow')!.dial(`127.0.0.1:${port}`).ready).resolves.toBe('fast');
  const nodes = new Map<string, EdgeNodeHandle>();
  for (const [name, system] of systems) {
    const node = await bootEdgeNode(system, { name, layout, dataDir: join(root, name), pilot }, { tickMs: 10, lsm, pilot: { monitorPeriodMs: 100 } });
    nodes.set(name, node);
    cleanups.push(() => node.close());
  }
  return { nodes, systems };
}

async function statsOf(system: ActorSystem, node: string): Promise<CompactionStats> {
  const r = await system.ref<CompactionRequest>({ system: node, path: edgePaths.compaction }).ask<CompactionReply>({ type: 'stats' }, { timeoutMs: T });
  if (!r.ok || r.type !== 'stats') throw new Error(`no stats from ${node}`);
  return r.stats;
}

let requestId = 1;
const keyOf = (i: number) => `k${String(i).padStart(6, '0')}`;
const valueOf = (i: number) => Buffer.from(`${keyOf(i)}:`.padEnd(1000, String.fromCharCode(97 + (i % 26))));

/** Writes batches to `slow` until `done` holds or the batches run out (no timing asserted); returns how many keys were written. */
async function writeUntil(node: EdgeNodeHandle, done: () => Promise<boolean>, maxBatches: number, from = 0): Promise<number> {
  let written = from;
  for (let batch = 0; batch < maxBatches; batch++) {
    await Promise.all(
      Array.from({ length: 50 }, (_, j) => {
        const i = written + j;
        return node.put({ key: Buffer.from(keyOf(i)), value: valueOf(i), scope: 'local', id: { clientId: 'writer', requestId: requestId++ } }, T);
      }),
    );
    written += 50;
    if (await done()) break;
  }
  return written - from;
}

describe('EdgePilot in edge nodes (bootEdgeNode)', () => {
  it("a slow node's merge runs on the fast node over TCP, and every key reads back as written", async () => {
    const { nodes, systems } = await startCluster({ tiers });
    const slow = nodes.get('slow')!;
    const probe = systems.get('slow')!;
    const offloaded = async () => {
      const [s, f] = await Promise.all([statsOf(probe, 'slow'), statsOf(probe, 'fast')]);
      return s.remoteJobs >= 1 && f.servedForOthers >= 1;
    };
    let written = await writeUntil(slow, offloaded, 200);
    // More merges after the first offload, so reads below cross several installed outputs.
    written += await writeUntil(slow, async () => false, 10, written);

    const [s, f] = await Promise.all([statsOf(probe, 'slow'), statsOf(probe, 'fast')]);
    expect(s.remoteJobs, JSON.stringify({ slow: s, fast: f })).toBeGreaterThanOrEqual(1);
    expect(f.servedForOthers).toBeGreaterThanOrEqual(1);
    expect(f.bytesSent).toBe(0); // fast has nobody faster to send to

    // The offloaded output was installed: every key reads back (the engine, not the memtable alone: merges happened).
    for (let i = 0; i < written; i++) {
      const got = await slow.get({ key: Buffer.from(keyOf(i)), scope: 'local', consistency: 'linearizable' }, T);
      expect(got?.equals(valueOf(i)), keyOf(i)).toBe(true);
    }
    const keys: string[] = [];
    for await (const kv of slow.rangeGet({ start: Buffer.from('k'), end: Buffer.alloc(0), scope: 'local', consistency: 'linearizable', limit: 0 }, T)) {
      keys.push(kv.key.toString());
    }
    expect(keys).toEqual(Array.from({ length: written }, (_, i) => keyOf(i)));

    // status() carries the counters of both nodes.
    const status = await slow.status();
    const counters = new Map((status.compaction ?? []).map((c) => [c.node, c]));
    expect(counters.get('slow')?.offloaded).toBeGreaterThanOrEqual(1);
    expect(counters.get('fast')?.received).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('pilot off: merges stay local, no compaction actor, no counters in status', async () => {
    const { nodes, systems } = await startCluster({ enabled: false, tiers });
    const slow = nodes.get('slow')!;
    const written = await writeUntil(slow, async () => false, 8);
    expect(systems.get('slow')!.has(edgePaths.compaction)).toBe(false);
    expect(systems.get('fast')!.has(edgePaths.compaction)).toBe(false);
    for (let i = 0; i < written; i += 37) {
      const got = await slow.get({ key: Buffer.from(keyOf(i)), scope: 'local', consistency: 'linearizable' }, T);
      expect(got?.equals(valueOf(i))).toBe(true);
    }
    expect((await slow.status()).compaction).toBeUndefined();
  }, 120_000);
});
