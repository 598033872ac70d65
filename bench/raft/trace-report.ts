// Where one write's time goes, from the rows EDGEKV_RAFT_TRACE leaves behind
// (actors/raft/trace.ts). Meant for one write in flight:
//
//   mkdir /tmp/tr && EDGEKV_RAFT_TRACE=/tmp/tr npm run bench -- raft --no-etcd --concurrency=1 --seconds=3
//   npx tsx bench/raft/trace-report.ts /tmp/tr
//
// Prints p50/p90 of each step of a write (client send -> leader -> followers'
// fsync -> commit -> reply), in microseconds, over all but the first 10% of writes.
import { readdirSync, readFileSync } from 'node:fs';

interface Row {
  t: number;
  e: string;
  a: number;
  b: number;
}

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: tsx bench/raft/trace-report.ts <EDGEKV_RAFT_TRACE directory>\n');
  process.exit(2);
}
const procs = new Map<string, Row[]>();
for (const f of readdirSync(dir).filter((n) => n.endsWith('.jsonl'))) {
  const rows = readFileSync(`${dir}/${f}`, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [t, e, a, b] = JSON.parse(l) as [number, string, number, number];
      return { t, e, a, b };
    });
  procs.set(f.replace(/\.jsonl$/, ''), rows);
}
const clientName = [...procs.keys()].find((p) => p.startsWith('p'));
if (clientName === undefined) throw new Error('no client rows (p<pid>.jsonl) in the directory');
const client = procs.get(clientName)!.filter((r) => r.e === 'c.send' || r.e === 'c.reply');
const ops: { s: number; r: number; req: number }[] = [];
for (let i = 0; i + 1 < client.length; i++) {
  const a = client[i]!;
  const b = client[i + 1]!;
  if (a.e === 'c.send' && b.e === 'c.reply' && a.a === b.a) ops.push({ s: a.t, r: b.t, req: a.a });
}
const members = [...procs.keys()].filter((p) => p !== clientName);
const proposals = (m: string): number => procs.get(m)!.filter((r) => r.e === 'recv.propose').length;
const leader = members.reduce((best, m) => (proposals(m) > proposals(best) ? m : best), members[0]!);
const followers = members.filter((m) => m !== leader);

/** First row at or after `t` matching `pred` (rows are in time order). */
function after(rows: Row[], t: number, pred: (r: Row) => boolean): Row | undefined {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < rows.length; i++) if (pred(rows[i]!)) return rows[i];
  return undefined;
}

const steps = new Map<string, number[]>();
const add = (k: string, v: number | undefined): void => {
  if (v === undefined || Number.isNaN(v)) return;
  if (!steps.has(k)) steps.set(k, []);
  steps.get(k)!.push(v);
};
const L = procs.get(leader)!;
for (const op of ops.slice(Math.floor(ops.length * 0.1))) {
  const rp = after(L, op.s, (r) => r.e === 'recv.propose' && r.a === op.req);
  if (!rp || rp.t > op.r) continue;
  const rd = after(L, rp.t, (r) => r.e === 'rd' && r.a > 0);
  if (!rd) continue;
  const idx = rd.a;
  const ls = after(L, rd.t, (r) => r.e === 'save.start');
  const le = ls && after(L, ls.t, (r) => r.e === 'save.end');
  const commit = after(L, rd.t, (r) => r.e === 'rd' && r.b >= idx);
  const reply = after(L, rd.t, (r) => r.e === 'reply' && r.a === op.req);
  if (!le || !commit || !reply) continue;
  let firstAck: number | undefined;
  for (const f of followers) {
    const F = procs.get(f)!;
    const ra = after(F, rd.t, (r) => r.e === 'recv.app' && r.a >= idx && r.b > 0);
    const fs = ra && after(F, ra.t, (r) => r.e === 'save.start');
    const fe = fs && after(F, fs.t, (r) => r.e === 'save.end');
    const sent = fe && after(F, fe.t, (r) => r.e === 'sent');
    if (!ra || !fs || !fe || !sent) continue;
    add('follower: leader Ready -> AppendEntries received', ra.t - rd.t);
    add('follower: received -> save started', fs.t - ra.t);
    add('follower: save (lmdb commit + fsync)', fe.t - fs.t);
    add('follower: saved -> ack sent', sent.t - fe.t);
    const ack = after(L, sent.t, (r) => r.e === 'recv.appResp' && r.a >= idx);
    if (ack && (firstAck === undefined || ack.t < firstAck)) firstAck = ack.t;
  }
  add('client send -> leader receives proposal', rp.t - op.s);
  add('leader: proposal -> Ready', rd.t - rp.t);
  add('leader: save (lmdb commit + fsync)', le.t - ls!.t);
  add('at: leader save done', le.t - op.s);
  add('at: first follower ack received by leader', firstAck === undefined ? undefined : firstAck - op.s);
  add('at: commit Ready', commit.t - op.s);
  add('leader: commit Ready - max(own save, first ack)', firstAck === undefined ? undefined : commit.t - Math.max(le.t, firstAck));
  add('leader reply -> client has it', op.r - reply.t);
  add('total', op.r - op.s);
}
const q = (xs: number[], p: number): number => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
console.log(`leader ${leader}, ${ops.length} writes traced`);
for (const [k, xs] of steps) console.log(`${k.padEnd(52)} p50 ${String(q(xs, 0.5)).padStart(6)}  p90 ${String(q(xs, 0.9)).padStart(6)} µs`);
const perOp = (m: string): string => (procs.get(m)!.filter((r) => r.e.startsWith('recv.') && r.e !== 'recv.propose').length / ops.length).toFixed(2);
console.log(`raft messages received per write: ${members.map((m) => `${m} ${perOp(m)}`).join(', ')}`);
