// What each client of a phase does next: YCSB core workloads (bench/ycsb's
// generators and workload definitions) and db_bench-style fillrandom,
// readwhilewriting and mixgraph. Keyspaces as in bench/ycsb: one global, and
// one local per group that only the group's clients touch.
import type { Scope } from '../../api/types.js';
import { fnv64, ScrambledZipfianGenerator, seededRandom, SkewedLatestGenerator, uniform, type Rand } from '../../bench/ycsb/generators.js';
import { coreWorkloads, keyName, maxScanLength, pickOp } from '../../bench/ycsb/workloads.js';
import type { OpName } from '../records.js';
import type { ResolvedPhase } from '../resolve.js';

/** One client's view of the cluster (the node it talks to). Every call must take clock time (a real or simulated round trip). */
export interface KvOps {
  /** Resolves with whether the key was found. */
  get(key: string, scope: Scope): Promise<boolean>;
  put(key: string, value: Buffer, scope: Scope): Promise<void>;
  /** Up to `limit` pairs from `startKey` on; resolves with how many came back. */
  scan(startKey: string, limit: number, scope: Scope): Promise<number>;
}

/** db_bench's mixgraph defaults, roughly: mostly gets, some puts, a few short seeks. */
export const mixgraphMix = { get: 0.83, put: 0.14, seek: 0.03 } as const;
/** A mixgraph seek reads up to this many keys. */
export const maxSeekLength = 10;
/** Keys written before a readwhilewriting or mixgraph phase (at most the key space). */
export const benchPreloadKeys = 1000;

/** YCSB key names (bench/ycsb's). */
export const ycsbKey = (n: number): string => keyName(n, fnv64);
/** db_bench's 16-byte keys. */
export const benchKey = (n: number): string => n.toString().padStart(16, '0');

/** The i-th preloaded key number of a key space of `keys`: the scrambled zipfian's hottest ranks, so mixgraph's gets mostly find their key. */
export const preloadKeyNumber = (i: number, keys: number): number => Number(fnv64(i) % BigInt(keys));

export interface Keyspace {
  name: string;
  scope: Scope;
  /** The group whose clients use it; undefined for the global keyspace. */
  group: string | undefined;
  /** YCSB: records inserted so far (load + inserts). */
  inserted: number;
  /** db_bench-style: key numbers written so far, in write order (readers pick among them), and as a set. */
  written: number[];
  writtenSet: Set<number>;
}

export function newKeyspace(name: string, scope: Scope, group: string | undefined, inserted = 0): Keyspace {
  return { name, scope, group, inserted, written: [], writtenSet: new Set() };
}

export function noteWritten(ks: Keyspace, n: number): void {
  if (ks.writtenSet.has(n)) return;
  ks.writtenSet.add(n);
  ks.written.push(n);
}

/** A value of `bytes` printable ASCII characters, like YCSB's random byte iterator. */
export function randomValue(bytes: number, rand: Rand): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) out[i] = 33 + Math.floor(rand() * 94);
  return out;
}

/** One operation, ready to issue. */
export interface PlannedOp {
  op: OpName;
  run(kv: KvOps): Promise<void>;
}

/** Key choosers shared by every client of a phase (zeta is computed once per keyspace), drawing from the calling client's PRNG. */
export class KeyChoosers {
  private current: Rand = () => 0;
  private readonly gens = new Map<string, { next(): number }>();
  constructor(private readonly make: (ks: Keyspace, rand: Rand) => { next(): number }) {}
  next(ks: Keyspace, rand: Rand): number {
    let gen = this.gens.get(ks.name);
    if (gen === undefined) {
      gen = this.make(ks, () => this.current());
      this.gens.set(ks.name, gen);
    }
    this.current = rand;
    return gen.next();
  }
}

export interface PhaseContext {
  phase: ResolvedPhase;
  keyspaces: Map<string, Keyspace>;
  globalShare: number;
  valueBytes: number;
  /** YCSB: records loaded; db_bench-style: the key space. */
  records: number;
  choosers: KeyChoosers;
}

/** Key choosers for a phase: scrambled zipfian over the records (YCSB A–C, E, F; mixgraph), skewed-latest for YCSB D. */
export function choosersFor(phase: ResolvedPhase, records: number): KeyChoosers {
  const latest = phase.kind === 'ycsb' && coreWorkloads[phase.ycsb!]!.distribution === 'latest';
  return new KeyChoosers((ks, rand) => (latest ? new SkewedLatestGenerator(() => ks.inserted, rand) : new ScrambledZipfianGenerator(records, rand)));
}

/** Client `index` (of `clients`) in `group`: an endless source of operations for the phase. */
export function opSource(ctx: PhaseContext, index: number, clients: number, group: string, rand: Rand): () => PlannedOp {
  const { phase, keyspaces, valueBytes, records, choosers } = ctx;
  const global = keyspaces.get('global');
  const local = keyspaces.get(`local-${group}`);
  const pickKeyspace = (): Keyspace => (global !== undefined && (local === undefined || rand() < ctx.globalShare) ? global : local!);
  const value = () => randomValue(valueBytes, rand);

  if (phase.kind === 'ycsb') {
    const workload = coreWorkloads[phase.ycsb!]!;
    return () => {
      const op = pickOp(workload, rand());
      const ks = pickKeyspace();
      const scope = ks.scope;
      switch (op) {
        case 'read': {
          const key = ycsbKey(choosers.next(ks, rand));
          return { op, run: async (kv) => void (await kv.get(key, scope)) };
        }
        case 'update': {
          const key = ycsbKey(choosers.next(ks, rand));
          const v = value();
          return { op, run: (kv) => kv.put(key, v, scope) };
        }
        case 'insert': {
          const key = ycsbKey(ks.inserted++);
          const v = value();
          return { op, run: (kv) => kv.put(key, v, scope) };
        }
        case 'scan': {
          const key = ycsbKey(choosers.next(ks, rand));
          const limit = uniform(1, maxScanLength, rand);
          return { op, run: async (kv) => void (await kv.scan(key, limit, scope)) };
        }
        case 'read-modify-write': {
          const key = ycsbKey(choosers.next(ks, rand));
          const v = value();
          return {
            op,
            run: async (kv) => {
              await kv.get(key, scope);
              await kv.put(key, v, scope);
            },
          };
        }
      }
    };
  }

  const put = (ks: Keyspace, n: number): PlannedOp => {
    const v = value();
    return {
      op: 'put',
      run: async (kv) => {
        await kv.put(benchKey(n), v, ks.scope);
        noteWritten(ks, n);
      },
    };
  };
  const get = (ks: Keyspace, n: number): PlannedOp => ({ op: 'get', run: async (kv) => void (await kv.get(benchKey(n), ks.scope)) });

  if (phase.kind === 'fillrandom') {
    return () => put(pickKeyspace(), uniform(0, records - 1, rand));
  }

  if (phase.kind === 'readwhilewriting') {
    // Client 0 writes, the others read keys already written; a lone client alternates.
    let turn = 0;
    return () => {
      const ks = pickKeyspace();
      const write = clients === 1 ? turn++ % 2 === 0 : index === 0;
      if (write || ks.written.length === 0) return put(ks, uniform(0, records - 1, rand));
      return get(ks, ks.written[uniform(0, ks.written.length - 1, rand)]!);
    };
  }

  // mixgraph
  return () => {
    const u = rand();
    const ks = pickKeyspace();
    const n = choosers.next(ks, rand);
    if (u < mixgraphMix.get) return get(ks, n);
    if (u < mixgraphMix.get + mixgraphMix.put) return put(ks, n);
    const limit = uniform(1, maxSeekLength, rand);
    return { op: 'seek', run: async (kv) => void (await kv.scan(benchKey(n), limit, ks.scope)) };
  };
}

/** A client's PRNG for a phase: from the topology seed, the client index and the phase index. */
export function clientRandom(seed: number, client: number, phase: number): Rand {
  return seededRandom((Math.imul(seed >>> 0, 1_000_003) + Math.imul(phase + 1, 7919) + client) >>> 0);
}
