import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ActorSystem, MemoryLogger, decode, encode, type RemoteEnvelope } from '../../runtime/index.js';
import { bootEdgeNode, bootGateway } from './boot.js';
import { edgePaths, type ClusterLayout, type EdgeNodeHandle, type GatewayHandle } from './contract.js';
import type { DoorReply, DoorRequest } from './door-actor.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Real actor systems in one process, connected through the codec (as over a wire), wall clock. */
function connect(systems: ActorSystem[]): void {
  const byName = new Map(systems.map((s) => [s.name, s]));
  for (const s of systems) {
    s.attachRemote({
      send: (envelope: RemoteEnvelope) => {
        const to = byName.get(envelope.to.system);
        if (to === undefined || to.isTerminated) return false;
        const bytes = encode(envelope);
        setImmediate(() => to.receiveRemote(decode<RemoteEnvelope>(bytes, to)));
        return true;
      },
    });
  }
}

const layout: ClusterLayout = { groups: [{ id: 'g1', members: ['n1', 'n2', 'n3'], gateway: 'gw' }] };

async function boot(root: string): Promise<{ systems: ActorSystem[]; nodes: EdgeNodeHandle[]; gateway: GatewayHandle }> {
  const systems = [...layout.groups[0]!.members, 'gw'].map((name) => new ActorSystem({ name, logger: new MemoryLogger() }));
  connect(systems);
  const nodes = await Promise.all(
    layout.groups[0]!.members.map((name, i) => bootEdgeNode(systems[i]!, { name, layout, dataDir: join(root, name) }, { tickMs: 10 })),
  );
  const gateway = await bootGateway(systems[3]!, { name: 'gw', layout });
  return { systems, nodes, gateway };
}

async function shutdown(c: { systems: ActorSystem[]; nodes: EdgeNodeHandle[]; gateway: GatewayHandle }): Promise<void> {
  await c.gateway.close();
  for (const n of c.nodes) await n.close();
  for (const s of c.systems) s.terminate();
}

describe('boot functions on real actor systems and lmdb', () => {
  it('serves local and global keys and keeps them across a restart of every node', async () => {
    const root = mkdtempSync(join(tmpdir(), 'edge-boot-'));
    dirs.push(root);
    const first = await boot(root);
    try {
      await first.nodes[0]!.put({ key: Buffer.from('l'), value: Buffer.from('local'), scope: 'local', id: { clientId: 'c', requestId: 1 } }, 10_000);
      await first.nodes[1]!.put({ key: Buffer.from('g'), value: Buffer.from('global'), scope: 'global', id: { clientId: 'c', requestId: 2 } }, 10_000);
      expect((await first.nodes[2]!.get({ key: Buffer.from('g'), scope: 'global', consistency: 'linearizable' }, 10_000))?.toString()).toBe('global');
      // The door actor serves the same calls as messages.
      const door = first.systems[3]!.ref<DoorRequest>({ system: 'n2', path: edgePaths.door });
      const reply = await door.ask<DoorReply>(
        { kind: 'get', call: { key: Buffer.from('l'), scope: 'local', consistency: 'linearizable' }, timeoutMs: 5_000 },
        { timeoutMs: 6_000 },
      );
      expect(reply.ok && Buffer.from(reply.value as Uint8Array).toString()).toBe('local');
      const status = await first.nodes[0]!.status();
      expect(status.groups[0]).toMatchObject({ group: 'g1', localKeys: 1, globalKeys: 1 });
      expect(status.ring).toHaveLength(1);
    } finally {
      await shutdown(first);
    }
    const second = await boot(root);
    try {
      expect((await second.nodes[1]!.get({ key: Buffer.from('l'), scope: 'local', consistency: 'linearizable' }, 10_000))?.toString()).toBe('local');
      expect((await second.nodes[0]!.get({ key: Buffer.from('g'), scope: 'global', consistency: 'linearizable' }, 10_000))?.toString()).toBe('global');
    } finally {
      await shutdown(second);
    }
  }, 60_000);
});
