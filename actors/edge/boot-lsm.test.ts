import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ActorSystem, MemoryLogger, decode, encode, type RemoteEnvelope } from '../../runtime/index.js';
import { LmdbLogStore } from '../../storage/raft-log/lmdb.js';
import type { ReplicatedKv } from '../raft/kv/kv-state-machine.js';
import type { RaftMember } from '../raft/member.js';
import { bootEdgeNode, bootGateway } from './boot.js';
import type { ClusterLayout, EdgeNodeHandle, GatewayHandle } from './contract.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const layout: ClusterLayout = { groups: [{ id: 'g1', members: ['n1', 'n2', 'n3'], gateway: 'gw' }] };
const NODES = layout.groups[0]!.members;
const T = 10_000;

/**
 * Edge nodes on lmdb logs with the default state machine (EdgeStateMachine
 * over the LSM engine in `<dataDir>/lsm`), in real actor systems connected
 * through the codec. Nodes can be stopped and restarted one at a time.
 */
class Cluster {
  readonly systems = new Map<string, ActorSystem>();
  readonly nodes = new Map<string, EdgeNodeHandle>();
  readonly stores = new Map<string, LmdbLogStore>();
  readonly members = new Map<string, RaftMember>();
  readonly machines = new Map<string, ReplicatedKv>();
  gateway: GatewayHandle | undefined;

  constructor(readonly root: string) {}

  private system(name: string): ActorSystem {
    const s = new ActorSystem({ name, logger: new MemoryLogger() });
    s.attachRemote({
      send: (envelope: RemoteEnvelope) => {
        const to = this.systems.get(envelope.to.system);
        if (to === undefined || to.isTerminated) return false;
        const bytes = encode(envelope);
        setImmediate(() => to.receiveRemote(decode<RemoteEnvelope>(bytes, to)));
        return true;
      },
    });
    this.systems.set(name, s);
    return s;
  }

  async start(name: string): Promise<void> {
    const dataDir = join(this.root, name);
    mkdirSync(join(dataDir, 'raft'), { recursive: true });
    const store = LmdbLogStore.open({ path: join(dataDir, 'raft') });
    this.stores.set(name, store);
    const node = await bootEdgeNode(
      this.system(name),
      { name, layout, dataDir },
      {
        logStore: () => store,
        tickMs: 10,
        snapshotEveryEntries: 10,
        snapshotCatchupEntries: 2,
        onMember: (m) => this.members.set(name, m),
        onStateMachine: (sm) => this.machines.set(name, sm),
      },
    );
    this.nodes.set(name, node);
  }

  async stop(name: string): Promise<void> {
    await this.nodes.get(name)!.close();
    this.systems.get(name)!.terminate();
    this.nodes.delete(name);
  }

  async startAll(): Promise<void> {
    for (const name of NODES) await this.start(name);
    this.gateway = await bootGateway(this.system('gw'), { name: 'gw', layout });
  }

  async stopAll(): Promise<void> {
    await this.gateway?.close();
    for (const name of [...this.nodes.keys()]) await this.stop(name);
    this.systems.get('gw')?.terminate();
  }

  node(name: string): EdgeNodeHandle {
    return this.nodes.get(name)!;
  }

  /** Polls (no timing is asserted) until every running member has applied the same, committed index. */
  async settled(): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      const st = [...this.nodes.keys()].map((n) => this.members.get(n)!.status());
      const leader = st.find((s) => s.state === 'leader');
      if (leader !== undefined && st.every((s) => s.applied === leader.committed && s.applied === leader.lastIndex)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the group did not settle');
  }

  leader(): string {
    return [...this.nodes.keys()].find((n) => this.members.get(n)!.status().state === 'leader')!;
  }
}

const key = (s: string) => Buffer.from(s);
let requestId = 1;

async function write(c: Cluster, via: string, scope: 'local' | 'global', k: string, v: string): Promise<void> {
  await c.node(via).put({ key: key(k), value: Buffer.from(v), scope, id: { clientId: 'writer', requestId: requestId++ } }, T);
}

async function expectAll(c: Cluster, via: string, written: Map<string, string>, consistency: 'linearizable' | 'serializable'): Promise<void> {
  for (const [scoped, v] of written) {
    const [scope, k] = scoped.split('/') as ['local' | 'global', string];
    const got = await c.node(via).get({ key: key(k), scope, consistency }, T);
    expect(got?.toString(), `${scoped} via ${via}`).toBe(v);
  }
}

describe('edge nodes on lmdb with the LSM engine as the group state machine', () => {
  it('acknowledged local and global writes survive restarts of every node, and a follower caught up by snapshot equals the leader', async () => {
    const root = mkdtempSync(join(tmpdir(), 'edge-lsm-'));
    dirs.push(root);
    const written = new Map<string, string>();
    const c1 = new Cluster(root);
    await c1.startAll();
    try {
      for (let i = 0; i < 15; i++) {
        const via = NODES[i % 3]!;
        await write(c1, via, 'local', `l${i}`, `lv${i}`);
        written.set(`local/l${i}`, `lv${i}`);
        await write(c1, via, 'global', `g${i}`, `gv${i}`);
        written.set(`global/g${i}`, `gv${i}`);
      }
      // Overwrites and deletes are part of the replicated state too.
      await write(c1, 'n2', 'local', 'l0', 'changed');
      written.set('local/l0', 'changed');
      await c1.node('n3').delete({ key: key('g1'), scope: 'global', id: { clientId: 'writer', requestId: requestId++ } }, T);
      written.delete('global/g1');
      expect(await c1.node('n1').get({ key: key('g1'), scope: 'global', consistency: 'linearizable' }, T)).toBeUndefined();
      const status = await c1.node('n1').status();
      expect(status.groups[0]).toMatchObject({ localKeys: 15, globalKeys: 14 });
    } finally {
      await c1.stopAll();
    }
    // The state lives in each node's LSM engine (tables written at close: no engine WAL).
    for (const n of NODES) expect(readdirSync(join(root, n, 'lsm')).some((f) => f.endsWith('.sst'))).toBe(true);

    const c2 = new Cluster(root);
    await c2.startAll();
    try {
      await expectAll(c2, 'n2', written, 'linearizable');
      expect((await c2.node('n3').status()).groups[0]).toMatchObject({ localKeys: 15, globalKeys: 14 });
      // n3 goes down; the group moves on and compacts its log past n3's end.
      await c2.settled();
      const n3Last = c2.stores.get('n3')!.lastIndex();
      await c2.stop('n3');
      for (let i = 15; i < 40; i++) {
        await write(c2, NODES[i % 2]!, 'local', `l${i}`, `lv${i}`);
        written.set(`local/l${i}`, `lv${i}`);
        await write(c2, NODES[i % 2]!, 'global', `g${i}`, `gv${i}`);
        written.set(`global/g${i}`, `gv${i}`);
      }
      await c2.settled();
      const leader = c2.leader();
      // The entries n3 lacks are gone from the leader's log: only a snapshot can bring n3 up to date.
      expect(c2.stores.get(leader)!.firstIndex()).toBeGreaterThan(n3Last + 1);
      await c2.start('n3');
      await c2.settled();
      // n3's own state machine (over its own LSM engine) now equals the leader's, byte for byte.
      const leaderImage = Buffer.from(await c2.machines.get(c2.leader())!.snapshot());
      expect(Buffer.from(await c2.machines.get('n3')!.snapshot()).equals(leaderImage)).toBe(true);
      // Served from n3's own member (local serializable reads stay on the node).
      await expectAll(c2, 'n3', new Map([...written].filter(([k]) => k.startsWith('local/'))), 'serializable');
    } finally {
      await c2.stopAll();
    }

    const c3 = new Cluster(root);
    await c3.startAll();
    try {
      for (const n of NODES) await expectAll(c3, n, written, 'linearizable');
      expect((await c3.node('n1').status()).groups[0]).toMatchObject({ localKeys: 40, globalKeys: 39 });
      await c3.settled();
      const images = NODES.map((n) => Buffer.from(c3.machines.get(n)!.snapshot() as Uint8Array));
      expect(images[1]!.equals(images[0]!) && images[2]!.equals(images[0]!)).toBe(true);
    } finally {
      await c3.stopAll();
    }
  }, 120_000);
});
