// A stand-in for actors/edge (tests of the hosting only): every edge node's
// front door forwards to a Map-backed store actor on the group's first member
// (local keys) or on the first group's first member (global keys), so the
// tests exercise the hosts' data plane (threads: MessagePorts; processes: TCP
// with the cluster secret) without Raft or the ring.
import type { ActorSystem } from '../../../runtime/actor-system.js';
import type { BootEdgeNode, BootGateway, ClusterLayout } from '../../../actors/edge/contract.js';
import type { ClusterStatus, KeyValue } from '../../../api/types.js';
import { UnavailableError } from '../../../api/errors.js';

type StoreMessage =
  | { kind: 'get'; space: string; key: string }
  | { kind: 'put'; space: string; key: string; value: Uint8Array }
  | { kind: 'del'; space: string; key: string }
  | { kind: 'range'; space: string; start: string; end: string; limit: number }
  | { kind: 'count'; space: string };

const storePath = 'standin-store';

function spawnStore(system: ActorSystem): void {
  const data = new Map<string, Map<string, Uint8Array>>();
  const space = (name: string) => data.get(name) ?? data.set(name, new Map()).get(name)!;
  system.spawn<StoreMessage>(
    {
      create: () => ({
        receive(m, ctx) {
          const s = space(m.space);
          if (m.kind === 'get') ctx.reply(s.get(m.key) ?? null);
          else if (m.kind === 'put') ctx.reply(s.set(m.key, m.value) && true);
          else if (m.kind === 'del') ctx.reply(s.delete(m.key));
          else if (m.kind === 'count') ctx.reply(s.size);
          else {
            const keys = [...s.keys()].filter((k) => k >= m.start && (m.end === '' || k < m.end)).sort();
            ctx.reply(keys.slice(0, m.limit === 0 ? undefined : m.limit).map((k) => [k, s.get(k)!]));
          }
        },
      }),
    },
    storePath,
  );
}

function groupOf(layout: ClusterLayout, node: string) {
  return layout.groups.find((g) => g.members.includes(node))!;
}

export const bootEdgeNode: BootEdgeNode = async (system, config) => {
  spawnStore(system);
  const group = groupOf(config.layout, system.name);
  const target = (scope: string) =>
    scope === 'global'
      ? { system: config.layout.groups[0]!.members[0]!, space: 'global' }
      : { system: group.members[0]!, space: `local-${group.id}` };
  const ask = async <T>(scope: string, message: Record<string, unknown>, timeoutMs: number): Promise<T> => {
    const t = target(scope);
    try {
      return await system.ref<StoreMessage>({ system: t.system, path: storePath }).ask<T>({ ...message, space: t.space } as StoreMessage, { timeoutMs });
    } catch (error) {
      throw new UnavailableError(`stand-in store on ${t.system}: ${(error as Error).message}`);
    }
  };
  let load = 0;
  return {
    async get(call, timeoutMs) {
      const v = await ask<Uint8Array | null>(call.scope, { kind: 'get', key: call.key.toString('hex') }, timeoutMs);
      return v === null ? undefined : Buffer.from(v);
    },
    async put(call, timeoutMs) {
      // Tests crash a host on purpose: in a worker thread process.exit ends only that thread.
      if (call.key.toString() === '__crash__') setImmediate(() => process.exit(3));
      await ask(call.scope, { kind: 'put', key: call.key.toString('hex'), value: call.value }, timeoutMs);
    },
    async delete(call, timeoutMs) {
      await ask(call.scope, { kind: 'del', key: call.key.toString('hex') }, timeoutMs);
    },
    async *rangeGet(call, timeoutMs): AsyncIterable<KeyValue> {
      const pairs = await ask<Array<[string, Uint8Array]>>(
        call.scope,
        { kind: 'range', start: call.start.toString('hex'), end: call.end.toString('hex'), limit: call.limit },
        timeoutMs,
      );
      for (const [k, v] of pairs) yield { key: Buffer.from(k, 'hex'), value: Buffer.from(v) };
    },
    async rangeDelete() {
      return 0;
    },
    async status(): Promise<ClusterStatus> {
      const groups = await Promise.all(
        config.layout.groups.map(async (g) => ({
          group: g.id,
          members: g.members,
          leader: g.members[0],
          term: 1,
          commitIndex: 0,
          localKeys: await system
            .ref<StoreMessage>({ system: g.members[0]!, path: storePath })
            .ask<number>({ kind: 'count', space: `local-${g.id}` }, { timeoutMs: 1000 })
            .catch(() => -1),
          globalKeys: 0,
        })),
      );
      const gws = config.layout.groups;
      return {
        node: system.name,
        ring: gws.map((g, i) => ({
          gateway: g.gateway,
          group: g.id,
          id: String(i),
          predecessor: gws[(i + gws.length - 1) % gws.length]!.gateway,
          successor: gws[(i + 1) % gws.length]!.gateway,
        })),
        groups,
      };
    },
    async metrics() {
      return { node: config.name, loadThreads: load };
    },
    setLoad(threads) {
      load = threads;
    },
    async close() {
      system.stop(system.ref(storePath));
    },
  };
};

export const bootGateway: BootGateway = async () => ({
  async leave() {},
  async close() {},
});
