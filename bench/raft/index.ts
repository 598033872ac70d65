// Raft group writes: a 3-member EdgeKV group against etcd (3 members on
// 127.0.0.1, default settings, fsync on, etcd3 client), same machine, same
// run, same parameters: 256-byte values, 64 puts in flight for 8 s, then 1 in
// flight. EdgeKV runs in two modes, both with an lmdb log per member (fsync
// on): "threads", one worker thread per member in this process over
// MessagePorts (group-threads.ts), and "processes", one process per member
// over TCP loopback (group-processes.ts). `--mode=threads|processes|both`
// (default both, threads first); `--quick` runs 2 s per workload; `--smoke`
// runs EdgeKV only, briefly (tests).
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Etcd3 } from 'etcd3';
import { RaftClient } from '../../actors/raft/client.js';
import { tracing } from '../../actors/raft/trace.js';
import { drive, type Figures } from './drive.js';
import { ensureEtcd, startEtcd } from './etcd.js';
import type { MemberGroup, Mode } from './group.js';
import { startProcessGroup } from './group-processes.js';
import { startThreadGroup } from './group-threads.js';
import { flag } from '../args.js';

interface Params {
  seconds: number;
  concurrency: number[];
  valueBytes: number;
  members: number;
  etcd: boolean;
}

const machine = { nproc: availableParallelism(), node: process.version };
const log = (line: string): void => void process.stderr.write(`${line}\n`);

function result(fields: Record<string, unknown>): void {
  console.log(`RESULT ${JSON.stringify({ bench: 'raft', ...fields, ...machine })}`);
}

const starters: Record<Mode, (members: number, noSync: boolean) => Promise<MemberGroup>> = {
  threads: startThreadGroup,
  processes: startProcessGroup,
};

async function benchEdgekv(mode: Mode, p: Params, value: Uint8Array, keys: number, noSync = false): Promise<Map<number, Figures>> {
  const out = new Map<number, Figures>();
  const group = await starters[mode](p.members, noSync);
  try {
    for (const c of p.concurrency) {
      const clients = Array.from({ length: c }, () => new RaftClient(group.system, group.addresses, { askTimeoutMs: 5000 }));
      for (const cl of clients) await cl.register();
      const f = await drive(c, p.seconds, (w, i) => clients[w]!.put(`key${(w * 7919 + i) % keys}`, value));
      out.set(c, f);
      // edgekv-baseline: the same group with fsync off, to show what durability costs.
      result({ system: noSync ? 'edgekv-baseline' : 'edgekv', mode, fsync: !noSync, workload: `put-${c}`, ops_per_sec: f.opsPerSec, p50_ms: f.p50Ms, p99_ms: f.p99Ms, errors: f.errors, params: { ...p, concurrency: c } });
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

function modesOf(arg: string | undefined): Mode[] {
  if (arg === undefined || arg === 'both') return ['threads', 'processes'];
  if (arg === 'threads' || arg === 'processes') return [arg];
  throw new Error(`--mode=${arg}: expected threads, processes or both`);
}

export async function main(args: string[]): Promise<void> {
  const smoke = args.includes('--smoke');
  const quick = args.includes('--quick');
  const opt = (name: string): string | undefined => flag(args, name);
  const modes = modesOf(opt('mode'));
  // Both modes would write the same m<id>.jsonl and p<pid>.jsonl files.
  if (tracing && modes.length > 1) throw new Error('EDGEKV_RAFT_TRACE: pick one mode (--mode=threads or --mode=processes)');
  const p: Params = {
    seconds: Number(opt('seconds') ?? (smoke ? 0.5 : quick ? 2 : 8)),
    concurrency: (opt('concurrency') ?? (smoke ? '4' : '64,1')).split(',').map(Number),
    valueBytes: 256,
    members: 3,
    etcd: !smoke && !args.includes('--no-etcd'),
  };
  const value = new Uint8Array(randomBytes(p.valueBytes));
  const keys = 10_000;
  log(`raft bench: ${p.members} members (${modes.join(', then ')}), ${p.valueBytes}-byte values, ${p.seconds}s per workload, concurrency ${p.concurrency.join(', ')}`);
  const ours = new Map<Mode, Map<number, Figures>>();
  for (const mode of modes) {
    ours.set(mode, await benchEdgekv(mode, p, value, keys));
    if (args.includes('--baseline')) await benchEdgekv(mode, p, value, keys, true);
  }
  if (!p.etcd) return;
  const anchor = await benchEtcd(p, value, keys);
  if (!anchor) return;
  for (const [mode, figures] of ours) {
    for (const c of p.concurrency) {
      const a = figures.get(c)!;
      const b = anchor.get(c)!;
      result({
        system: 'ratio',
        mode,
        workload: `put-${c}`,
        vs: 'etcd',
        ops_per_sec_ratio: Number((a.opsPerSec / b.opsPerSec).toFixed(3)),
        p50_ratio: Number((a.p50Ms / b.p50Ms).toFixed(3)),
        p99_ratio: Number((a.p99Ms / b.p99Ms).toFixed(3)),
      });
    }
  }
}
