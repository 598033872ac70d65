// Raft group writes: a 3-member EdgeKV group (one process per member, TCP on
// loopback, lmdb log with fsync) against etcd (3 members on 127.0.0.1,
// default settings, fsync on, etcd3 client), same machine, same run, same
// parameters: 256-byte values, 64 puts in flight for 8 s, then 1 in flight.
// `--quick` runs 2 s per workload; `--smoke` runs EdgeKV only, briefly (tests).
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { ActorSystem, ConsoleLogger } from '../../runtime/index.js';
import { Router } from '../../runtime/router.js';
import { TcpTransport } from '../../runtime/tcp-transport.js';
import { RaftClient } from '../../actors/raft/client.js';
import { ensureEtcd, startEtcd } from './etcd.js';

interface Params {
  seconds: number;
  concurrency: number[];
  valueBytes: number;
  members: number;
  etcd: boolean;
}

const machine = { nproc: availableParallelism(), node: process.version };
const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface Figures {
  ops: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

function result(fields: Record<string, unknown>): void {
  console.log(`RESULT ${JSON.stringify({ bench: 'raft', ...fields, ...machine })}`);
}

function summarize(latencies: number[], seconds: number, errors: number): Figures {
  const s = [...latencies].sort((a, b) => a - b);
  const at = (q: number): number => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
  const round = (x: number): number => Number(x.toFixed(3));
  return { ops: s.length, opsPerSec: Math.round(s.length / seconds), p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), errors };
}

/** Runs `concurrency` loops of `op` until `seconds` have passed; returns per-op latencies. */
async function drive(concurrency: number, seconds: number, op: (worker: number, i: number) => Promise<void>): Promise<Figures> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        try {
          await op(w, i);
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  return summarize(latencies, seconds, errors);
}

async function startEdgekv(members: number, noSync: boolean): Promise<{ system: ActorSystem; addresses: Map<number, { system: string; path: string }>; stop(): Promise<void> }> {
  const secret = randomBytes(16).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'edgekv-bench-raft-'));
  const children: ChildProcess[] = [];
  const ports: Record<number, number> = {};
  for (let id = 1; id <= members; id++) {
    const child = fork(new URL('./member-process.ts', import.meta.url), [], {
      // EDGEKV_RAFT_MEMBER_NODE_ARGS: extra node flags for the member processes, e.g.
      // "--cpu-prof --cpu-prof-dir=/tmp/prof" (not allowed in NODE_OPTIONS).
      execArgv: ['--import', 'tsx', ...(process.env.EDGEKV_RAFT_MEMBER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')],
      env: {
        ...process.env,
        EDGEKV_BENCH_SECRET: secret,
        EDGEKV_RAFT_ID: String(id),
        EDGEKV_RAFT_SIZE: String(members),
        EDGEKV_RAFT_DIR: join(dir, `m${id}`),
        EDGEKV_RAFT_NOSYNC: noSync ? '1' : '0',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    ports[id] = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: { port?: number }) => (m.port ? resolve(m.port) : reject(new Error('no port'))));
      child.once('exit', (code) => reject(new Error(`member ${id} exited with ${code}`)));
    });
  }
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          c.once('message', () => resolve());
          c.send({ ports });
        }),
    ),
  );
  const system = new ActorSystem({ name: 'bench-client', logger: new ConsoleLogger('bench-client', 'warn') });
  const transport = new TcpTransport({ router: new Router(system), secret });
  const addresses = new Map<number, { system: string; path: string }>();
  for (let id = 1; id <= members; id++) {
    await transport.dial(`127.0.0.1:${ports[id]}`, { system: `m${id}` }).ready;
    addresses.set(id, { system: `m${id}`, path: 'raft' });
  }
  // Wait for a leader: a write goes through.
  const probe = new RaftClient(system, addresses, { askTimeoutMs: 2000, maxAttempts: 50, retryBackoffMs: 100 });
  await probe.put('edgekv-bench-probe', new Uint8Array([1]));
  return {
    system,
    addresses,
    async stop() {
      await transport.close();
      system.terminate();
      for (const c of children) c.disconnect();
      await Promise.all(children.map((c) => new Promise<void>((r) => (c.exitCode !== null ? r() : c.once('exit', () => r())))));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function benchEdgekv(p: Params, value: Uint8Array, keys: number, noSync = false): Promise<Map<number, Figures>> {
  const out = new Map<number, Figures>();
  const group = await startEdgekv(p.members, noSync);
  try {
    for (const c of p.concurrency) {
      const clients = Array.from({ length: c }, () => new RaftClient(group.system, group.addresses, { askTimeoutMs: 5000 }));
      for (const cl of clients) await cl.register();
      const f = await drive(c, p.seconds, (w, i) => clients[w]!.put(`key${(w * 7919 + i) % keys}`, value));
      out.set(c, f);
      // edgekv-baseline: the same group with fsync off, to show what durability costs.
      result({ system: noSync ? 'edgekv-baseline' : 'edgekv', fsync: !noSync, workload: `put-${c}`, ops_per_sec: f.opsPerSec, p50_ms: f.p50Ms, p99_ms: f.p99Ms, errors: f.errors, params: { ...p, concurrency: c } });
    }
  } finally {
    await group.stop();
  }
  return out;
}

async function benchEtcd(p: Params, value: Uint8Array, keys: number): Promise<Map<number, Figures> | undefined> {
  if (!ensureEtcd(log)) {
    log('etcd is not available; skipping the anchor');
    return undefined;
  }
  const cluster = await startEtcd(p.members);
  const out = new Map<number, Figures>();
  const client = new Etcd3({ hosts: cluster.endpoints });
  const buf = Buffer.from(value);
  try {
    for (const c of p.concurrency) {
      const f = await drive(c, p.seconds, async (w, i) => {
        await client.put(`key${(w * 7919 + i) % keys}`).value(buf);
      });
      out.set(c, f);
      result({ system: 'etcd', version: cluster.version, workload: `put-${c}`, ops_per_sec: f.opsPerSec, p50_ms: f.p50Ms, p99_ms: f.p99Ms, errors: f.errors, params: { ...p, concurrency: c } });
    }
  } finally {
    client.close();
    await cluster.stop();
  }
  return out;
}

export async function main(args: string[]): Promise<void> {
  const smoke = args.includes('--smoke');
  const quick = args.includes('--quick');
  const opt = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const p: Params = {
    seconds: Number(opt('seconds') ?? (smoke ? 0.5 : quick ? 2 : 8)),
    concurrency: (opt('concurrency') ?? (smoke ? '4' : '64,1')).split(',').map(Number),
    valueBytes: 256,
    members: 3,
    etcd: !smoke && !args.includes('--no-etcd'),
  };
  const value = new Uint8Array(randomBytes(p.valueBytes));
  const keys = 10_000;
  log(`raft bench: ${p.members} members, ${p.valueBytes}-byte values, ${p.seconds}s per workload, concurrency ${p.concurrency.join(', ')}`);
  const ours = await benchEdgekv(p, value, keys);
  if (args.includes('--baseline')) await benchEdgekv(p, value, keys, true);
  if (!p.etcd) return;
  const anchor = await benchEtcd(p, value, keys);
  if (!anchor) return;
  for (const c of p.concurrency) {
    const a = ours.get(c)!;
    const b = anchor.get(c)!;
    result({
      system: 'ratio',
      workload: `put-${c}`,
      vs: 'etcd',
      ops_per_sec_ratio: Number((a.opsPerSec / b.opsPerSec).toFixed(3)),
      p50_ratio: Number((a.p50Ms / b.p50Ms).toFixed(3)),
      p99_ratio: Number((a.p99Ms / b.p99Ms).toFixed(3)),
    });
  }
}
