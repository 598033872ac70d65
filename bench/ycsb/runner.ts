// Runs YCSB core workloads against an EdgeKV cluster through the gRPC client.
// Every client loop belongs to one edge group (clients talk to their nearest
// group, as in the EdgeKV paper); each operation is global with probability
// `globalShare`, else local to that group. Keyspaces: one global, one local per
// group; each is loaded with the records before the workloads run.
import { EdgeKVClient } from '../../api/client.js';
import type { Scope } from '../../api/types.js';
import type { KvSession, KvTarget } from './targets.js';
import { fnv64, ScrambledZipfianGenerator, seededRandom, SkewedLatestGenerator, uniform, type Rand } from './generators.js';
import { coreWorkloads, keyName, maxScanLength, pickOp, type OpType, type Workload } from './workloads.js';

export interface YcsbParams {
  workloads: string[];
  records: number;
  /** Operations per workload. */
  operations: number;
  /** Concurrent client loops (YCSB threads). */
  clients: number;
  fieldCount: number;
  fieldLengthBytes: number;
  /** Share of operations in the global scope, 0..1. */
  globalShare: number;
  seed: number;
  timeoutMs: number;
}

export interface OpResult {
  op: OpType | 'all';
  ops: number;
  ops_per_sec: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  not_found: number;
}

export interface WorkloadResult {
  workload: string;
  seconds: number;
  byOp: OpResult[];
  total: OpResult;
  firstError?: string;
}

/** Which edge group each endpoint belongs to, asked of the endpoints themselves. */
export async function groupEndpoints(endpoints: string[], timeoutMs: number): Promise<Map<string, string[]>> {
  const groups = new Map<string, string[]>();
  await Promise.all(
    endpoints.map(async (endpoint) => {
      const client = new EdgeKVClient({ endpoints: [endpoint], timeoutMs });
      try {
        const status = await client.status();
        const group = status.groups.find((g) => g.members.includes(status.node))?.group;
        if (group !== undefined) groups.set(group, [...(groups.get(group) ?? []), endpoint]);
      } catch {
        // An endpoint that does not answer takes no part.
      } finally {
        client.close();
      }
    }),
  );
  if (groups.size === 0) throw new Error(`none of ${endpoints.join(', ')} answered a status call`);
  return new Map([...groups].sort(([a], [b]) => a.localeCompare(b)));
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

function record(params: YcsbParams, rand: Rand): Buffer {
  const out = Buffer.allocUnsafe(params.fieldCount * params.fieldLengthBytes);
  // Printable ASCII like YCSB's random byte iterator.
  for (let i = 0; i < out.length; i++) out[i] = 33 + Math.floor(rand() * 94);
  return out;
}

const keyOf = (n: number) => keyName(n, fnv64);

interface Keyspace {
  scope: Scope;
  /** Clients that reach it: a local keyspace only through its own group. */
  group: string | undefined;
  inserted: number;
}

export class YcsbRunner {
  private readonly keyspaces = new Map<string, Keyspace>();
  private readonly clients: Array<{ group: string; client: KvSession }>;

  constructor(
    private readonly params: YcsbParams,
    target: KvTarget,
    private readonly progress: (line: string) => void = () => undefined,
  ) {
    this.clients = Array.from({ length: params.clients }, (_, loop) => ({ group: target.groups[loop % target.groups.length]!, client: target.session(loop) }));
    if (params.globalShare > 0) this.keyspaces.set('global', { scope: 'global', group: undefined, inserted: params.records });
    if (params.globalShare < 1) for (const g of target.groups) this.keyspaces.set(`local-${g}`, { scope: 'local', group: g, inserted: params.records });
  }

  close(): void {
    for (const c of this.clients) c.client.close();
  }

  /** Inserts records 0..records-1 into every keyspace, `clients` at a time; a loop loads its own group's keyspace, then helps with the global one. */
  async load(): Promise<{ seconds: number; puts: number; errors: number }> {
    const rand = seededRandom(this.params.seed);
    const nextOf = new Map<string, number>([...this.keyspaces.keys()].map((k) => [k, 0]));
    let puts = 0;
    let errors = 0;
    const total = this.keyspaces.size * this.params.records;
    const started = performance.now();
    await Promise.all(
      this.clients.map(async ({ group, client }) => {
        for (const ksName of [`local-${group}`, 'global']) {
          const ks = this.keyspaces.get(ksName);
          if (ks === undefined) continue;
          for (let n = nextOf.get(ksName)!; n < this.params.records; n = nextOf.get(ksName)!) {
            nextOf.set(ksName, n + 1);
            try {
              await client.put(keyOf(n), record(this.params, rand), ks.scope);
            } catch {
              errors++;
            }
            if (++puts % 1000 === 0) this.progress(`loaded ${puts}/${total}`);
          }
        }
      }),
    );
    return { seconds: (performance.now() - started) / 1000, puts, errors };
  }

  async run(name: string, index: number): Promise<WorkloadResult> {
    const workload: Workload | undefined = coreWorkloads[name];
    if (workload === undefined) throw new Error(`unknown workload ${name}; use A..F`);
    const latencies = new Map<OpType, number[]>();
    const errors = new Map<OpType, number>();
    const notFound = new Map<OpType, number>();
    let firstError: string | undefined;
    let issued = 0;
    const started = performance.now();
    await Promise.all(
      this.clients.map(async ({ group, client }, loop) => {
        const rand = seededRandom(this.params.seed * 1_000_003 + index * 7919 + loop);
        const chooser = new Map<string, { next(): number }>();
        const keyIn = (ksName: string, ks: Keyspace): number => {
          let gen = chooser.get(ksName);
          if (gen === undefined) {
            gen = workload.distribution === 'latest' ? new SkewedLatestGenerator(() => ks.inserted, rand) : new ScrambledZipfianGenerator(this.params.records, rand);
            chooser.set(ksName, gen);
          }
          return gen.next();
        };
        while (issued < this.params.operations) {
          issued++;
          const op = pickOp(workload, rand());
          const global = this.keyspaces.has('global') && (!this.keyspaces.has(`local-${group}`) || rand() < this.params.globalShare);
          const ksName = global ? 'global' : `local-${group}`;
          const ks = this.keyspaces.get(ksName)!;
          const scope = ks.scope;
          const t0 = performance.now();
          let missing = false;
          try {
            if (op === 'read') {
              missing = (await client.get(keyOf(keyIn(ksName, ks)), scope)) === undefined;
            } else if (op === 'update') {
              await client.put(keyOf(keyIn(ksName, ks)), record(this.params, rand), scope);
            } else if (op === 'insert') {
              const n = ks.inserted++;
              await client.put(keyOf(n), record(this.params, rand), scope);
            } else if (op === 'scan') {
              await client.scan(keyOf(keyIn(ksName, ks)), uniform(1, maxScanLength, rand), scope);
            } else {
              const key = keyOf(keyIn(ksName, ks));
              missing = (await client.get(key, scope)) === undefined;
              await client.put(key, record(this.params, rand), scope);
            }
            const list = latencies.get(op) ?? latencies.set(op, []).get(op)!;
            list.push(performance.now() - t0);
            if (missing) notFound.set(op, (notFound.get(op) ?? 0) + 1);
          } catch (error) {
            errors.set(op, (errors.get(op) ?? 0) + 1);
            firstError ??= `${op}: ${(error as Error).message}`;
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const summarize = (op: OpType | 'all', values: number[], errs: number, missing: number): OpResult => {
      const sorted = [...values].sort((a, b) => a - b);
      return {
        op,
        ops: values.length,
        ops_per_sec: round(values.length / seconds, 1),
        p50_ms: round(percentile(sorted, 0.5)),
        p99_ms: round(percentile(sorted, 0.99)),
        errors: errs,
        not_found: missing,
      };
    };
    const ops = [...new Set<OpType>([...latencies.keys(), ...errors.keys()])];
    const byOp = ops.map((op) => summarize(op, latencies.get(op) ?? [], errors.get(op) ?? 0, notFound.get(op) ?? 0));
    const sum = (f: (r: OpResult) => number) => byOp.reduce((s, r) => s + f(r), 0);
    const total = summarize(
      'all',
      ops.flatMap((op) => latencies.get(op) ?? []),
      sum((r) => r.errors),
      sum((r) => r.not_found),
    );
    return { workload: name, seconds, byOp, total, firstError };
  }
}
