// What the workloads run against: EdgeKV through its gRPC client, or the
// anchor, etcd (one 3-member Raft group holding every key, the "cloud"
// setting), through the etcd3 client. Both see the same keyspaces: one local
// keyspace per edge group and one global keyspace.
import { Etcd3 } from 'etcd3';
import { EdgeKVClient } from '../../api/client.js';
import type { Scope } from '../../api/types.js';

export interface KvSession {
  get(key: string, scope: Scope): Promise<Buffer | undefined>;
  put(key: string, value: Buffer, scope: Scope): Promise<void>;
  /** Up to `limit` pairs from `start` on, in the scope's keyspace; resolves with how many came back. */
  scan(start: string, limit: number, scope: Scope): Promise<number>;
  close(): void;
}

export interface KvTarget {
  system: string;
  /** Edge groups (a client loop belongs to one; local keys are per group). */
  groups: string[];
  /** A session for client loop `loop`, in group `groups[loop % groups.length]`. */
  session(loop: number): KvSession;
}

/** One EdgeKVClient per loop on its group's endpoints, rotated so loops spread over the members. */
export function edgekvTarget(groups: Map<string, string[]>, timeoutMs: number): KvTarget {
  const names = [...groups.keys()];
  return {
    system: 'edgekv',
    groups: names,
    session(loop) {
      const eps = groups.get(names[loop % names.length]!)!;
      const shift = Math.floor(loop / names.length) % eps.length;
      const client = new EdgeKVClient({ endpoints: [...eps.slice(shift), ...eps.slice(0, shift)], timeoutMs });
      return {
        get: (key, scope) => client.get(key, { scope }),
        put: (key, value, scope) => client.put(key, value, { scope }),
        scan: async (start, limit, scope) => (await client.range(start, '', { scope, limit })).length,
        close: () => client.close(),
      };
    },
  };
}

/** etcd: local keys of group g under "L/g/", global keys under "G/", in one cluster; reads linearizable (etcd's default, as EdgeKV's). */
export function etcdTarget(endpoints: string[], groups: string[]): KvTarget {
  return {
    system: 'etcd',
    groups,
    session(loop) {
      const group = groups[loop % groups.length]!;
      const prefix = (scope: Scope) => (scope === 'global' ? 'G/' : `L/${group}/`);
      // Past the prefix: "/" + 1 is "0".
      const prefixEnd = (scope: Scope) => `${prefix(scope).slice(0, -1)}0`;
      const client = new Etcd3({ hosts: [...endpoints.slice(loop % endpoints.length), ...endpoints.slice(0, loop % endpoints.length)] });
      return {
        get: async (key, scope) => (await client.get(prefix(scope) + key).buffer()) ?? undefined,
        put: async (key, value, scope) => {
          await client.put(prefix(scope) + key).value(value);
        },
        scan: async (start, limit, scope) => {
          const pairs = await client
            .getAll()
            .inRange({ start: prefix(scope) + start, end: prefixEnd(scope) })
            .limit(limit)
            .keys();
          return pairs.length;
        },
        close: () => client.close(),
      };
    },
  };
}
