// A small hand-made run for the tests (and for trying a chart's look):
// two variants, `edge` then `cloud`, each a YCSB-A sweep over 1 and 4
// clients, three edge nodes, and a crash and restart on the timeline.
import type { LatencyStats, MetaRecord, NodeRecord, RunRecord } from '../records.js';

const lat = (count: number, p50Ms: number, p99Ms: number, meanMs = p50Ms): LatencyStats => ({ count, errors: 0, p50Ms, p99Ms, meanMs });

function meta(variant: string): MetaRecord {
  return {
    type: 'meta',
    topology: 'paper',
    variant,
    mode: 'simulated',
    startedAt: '2026-11-22T06:00:00.000Z',
    seed: 7,
    hosts: [
      { name: 'n1', group: 'g1', role: 'edge', placement: 'thread' },
      { name: 'n2', group: 'g1', role: 'edge', placement: 'thread' },
      { name: 'n3', group: 'g1', role: 'edge', placement: 'thread' },
      { name: 'g1-gw', group: 'g1', role: 'gateway', placement: 'thread' },
    ],
    tiersEmulated: true,
    machine: { nproc: 2, node: 'v20.0.0', platform: 'linux' },
  };
}

/**
 * Per variant: phase ycsb-A@1 for t 0..4 and ycsb-A@4 for t 5..9. The edge
 * variant does 1000 and 2000 ops/s with writes (update) at 2 ms mean; cloud
 * 800 and 1600 ops/s with writes at 2.5 ms. Node n2 crashes at t=5 and
 * restarts at t=7 (its counters start from zero again).
 */
export function sampleRun(variants: readonly string[] = ['edge', 'cloud']): RunRecord[] {
  const out: RunRecord[] = [];
  for (const variant of variants) {
    const k = variant === 'cloud' ? 0.8 : 1;
    const w = variant === 'cloud' ? 2.5 : 2;
    out.push(meta(variant));
    for (const [phase, clients, start, ops] of [['ycsb-A@1', 1, 0, 1000], ['ycsb-A@4', 4, 5, 2000]] as const) {
      for (let t = start; t < start + 5; t++) {
        out.push({ type: 'tick', variant, phase, t, opsPerSec: ops * k, errorsPerSec: 0, byOp: { read: lat(ops * k * 0.5, 1, 4), update: lat(ops * k * 0.5, w, w * 3) } });
      }
      out.push({
        type: 'phase',
        variant,
        phase,
        workload: 'ycsb-A',
        clients,
        startT: start,
        endT: start + 5,
        ops: ops * k * 5,
        opsPerSec: ops * k,
        errors: clients === 4 ? 3 : 0,
        byOp: { read: lat(ops * k * 2.5, 1, 4), update: lat(ops * k * 2.5, w, w * 3) },
      });
    }
    for (let t = 0; t < 10; t++) {
      for (const node of ['n1', 'n2', 'n3']) {
        const rec: NodeRecord = { type: 'node', variant, t, node, up: true };
        if (node === 'n2' && (t === 5 || t === 6)) {
          rec.up = false;
        } else {
          // n1 stalls 100 ms a second (60 l0 + 40 memtable), n2 and n3 50 ms (all l0); n2 restarts at t=7.
          const since = node === 'n2' && t >= 7 ? t - 7 : t + 10;
          const per = node === 'n1' ? 100 : 50;
          rec.stallMs = since * per;
          rec.stallByCause = node === 'n1' ? { l0: since * 60, memtable: since * 40 } : { l0: since * 50 };
          rec.compactions = { local: since, offloaded: node === 'n3' ? since : 0, received: node === 'n1' ? since : 0, fallbacks: 0 };
        }
        out.push(rec);
      }
    }
    out.push({ type: 'event', variant, t: 5, event: 'crash', detail: 'n2', ok: true });
    out.push(variant === 'cloud' ? { type: 'event', variant, t: 7, event: 'restart', detail: 'n2', ok: false, error: 'port in use' } : { type: 'event', variant, t: 7, event: 'restart', detail: 'n2', ok: true });
  }
  return out;
}
