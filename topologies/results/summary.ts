// The numbers of a topology run, computed from its records alone: per variant
// and phase (throughput, latency per op type, errors), per edge node (stall
// time, compactions), the timeline events, and each variant against the first.
import type { EventRecord, LatencyStats, MetaRecord, NodeRecord, OpName, PhaseRecord, RunRecord } from '../records.js';

/** Op types whose latency is "the latency of writes" in a comparison. */
export const WRITE_OPS: readonly OpName[] = ['update', 'insert', 'put', 'read-modify-write'];

/** A phase record's numbers, with its length in seconds instead of its start and end. */
export interface PhaseSummary extends Omit<PhaseRecord, 'type' | 'startT' | 'endT'> {
  seconds: number;
}

export interface CompactionCounts {
  local: number;
  offloaded: number;
  received: number;
  fallbacks: number;
  /** Why offloads fell back (timeout, busy, error, corrupt), when the nodes say. */
  fallbacksByReason?: Record<string, number>;
}

/** One edge node in one variant: counters as the increase from its first record to its last (a restart's reset counted from zero). */
export interface NodeSummary {
  variant: string;
  node: string;
  samples: number;
  /** Samples (seconds) in which the node was down (crashed, or not started yet). */
  downSamples: number;
  stallMs?: number;
  stallByCause?: Record<string, number>;
  compactions?: CompactionCounts;
}

/** A change from the first variant to another, in percent of the first; `undefined` when either side has no number. */
export interface Change {
  base: number;
  value: number;
  pct: number | undefined;
}

export interface PhaseComparison {
  variant: string;
  baseline: string;
  phase: string;
  throughput: Change;
  /** Mean latency of all write ops (update, insert, put, read-modify-write): exact from the per-op means and counts. */
  writeMeanMs?: Change;
  /** Per op type present on both sides: p50 and p99. */
  byOp: Partial<Record<OpName, { p50Ms: Change; p99Ms: Change }>>;
  /** Per group present on both sides: throughput of its clients. */
  byGroup?: Record<string, Change>;
}

export interface RunSummary {
  topology: string;
  /** In the order they first appear; the first is the baseline of every comparison. */
  variants: string[];
  meta: MetaRecord[];
  phases: PhaseSummary[];
  nodes: NodeSummary[];
  events: EventRecord[];
  comparisons: PhaseComparison[];
  /** What could not be shown and why (charts skipped for lack of data, ...). */
  notes: string[];
}

export function change(base: number, value: number): Change {
  return { base, value, pct: base > 0 && Number.isFinite(value) ? ((value - base) / base) * 100 : undefined };
}

/** Count-weighted mean latency of the write ops, or undefined when the phase did none. */
export function writeMeanMs(byOp: Partial<Record<OpName, LatencyStats>>): number | undefined {
  let count = 0;
  let total = 0;
  for (const op of WRITE_OPS) {
    const s = byOp[op];
    if (s === undefined || s.count <= 0) continue;
    count += s.count;
    total += s.count * s.meanMs;
  }
  return count > 0 ? total / count : undefined;
}

/** The increase of a cumulative counter over samples; a drop means the node restarted, and counts from zero again. */
export function increase(values: number[]): number {
  let sum = 0;
  for (let i = 1; i < values.length; i++) {
    const prev = values[i - 1]!;
    const cur = values[i]!;
    sum += cur >= prev ? cur - prev : cur;
  }
  return sum;
}

function variantsInOrder(records: RunRecord[]): string[] {
  const seen: string[] = [];
  for (const r of records) if (!seen.includes(r.variant)) seen.push(r.variant);
  return seen;
}

function phaseSummary(p: PhaseRecord): PhaseSummary {
  return {
    variant: p.variant,
    phase: p.phase,
    workload: p.workload,
    clients: p.clients,
    seconds: p.endT - p.startT,
    ops: p.ops,
    opsPerSec: p.opsPerSec,
    errors: p.errors,
    byOp: p.byOp,
    ...(p.byGroup !== undefined ? { byGroup: p.byGroup } : {}),
    ...(p.firstError !== undefined ? { firstError: p.firstError } : {}),
  };
}

function nodeSummary(variant: string, node: string, recs: NodeRecord[]): NodeSummary {
  const sorted = [...recs].sort((a, b) => a.t - b.t);
  const out: NodeSummary = { variant, node, samples: sorted.length, downSamples: sorted.filter((r) => !r.up).length };
  const stall = sorted.filter((r) => r.stallMs !== undefined);
  if (stall.length > 0) out.stallMs = increase(stall.map((r) => r.stallMs!));
  const withCauses = sorted.filter((r) => r.stallByCause !== undefined);
  if (withCauses.length > 0) {
    const causes = new Set(withCauses.flatMap((r) => Object.keys(r.stallByCause!)));
    const byCause: Record<string, number> = {};
    for (const c of [...causes].sort()) byCause[c] = increase(withCauses.map((r) => r.stallByCause![c] ?? 0));
    out.stallByCause = byCause;
  }
  const comp = sorted.filter((r) => r.compactions !== undefined);
  if (comp.length > 0) {
    const k = (key: 'local' | 'offloaded' | 'received' | 'fallbacks') => increase(comp.map((r) => r.compactions![key]));
    out.compactions = { local: k('local'), offloaded: k('offloaded'), received: k('received'), fallbacks: k('fallbacks') };
    const withReasons = comp.filter((r) => r.compactions!.fallbacksByReason !== undefined);
    if (withReasons.length > 0) {
      const reasons = new Set(withReasons.flatMap((r) => Object.keys(r.compactions!.fallbacksByReason!)));
      const byReason: Record<string, number> = {};
      for (const reason of [...reasons].sort()) {
        const n = increase(withReasons.map((r) => r.compactions!.fallbacksByReason![reason] ?? 0));
        if (n > 0) byReason[reason] = n;
      }
      out.compactions.fallbacksByReason = byReason;
    }
  }
  return out;
}

function comparePhase(p: PhaseSummary, base: PhaseSummary): PhaseComparison {
  const cmp: PhaseComparison = { variant: p.variant, baseline: base.variant, phase: p.phase, throughput: change(base.opsPerSec, p.opsPerSec), byOp: {} };
  const w = writeMeanMs(p.byOp);
  const bw = writeMeanMs(base.byOp);
  if (w !== undefined && bw !== undefined) cmp.writeMeanMs = change(bw, w);
  for (const op of Object.keys(p.byOp) as OpName[]) {
    const a = p.byOp[op];
    const b = base.byOp[op];
    if (a === undefined || b === undefined || a.count <= 0 || b.count <= 0) continue;
    cmp.byOp[op] = { p50Ms: change(b.p50Ms, a.p50Ms), p99Ms: change(b.p99Ms, a.p99Ms) };
  }
  if (p.byGroup !== undefined && base.byGroup !== undefined) {
    const byGroup: Record<string, Change> = {};
    for (const [g, v] of Object.entries(p.byGroup)) {
      const b = base.byGroup[g];
      if (b !== undefined) byGroup[g] = change(b.opsPerSec, v.opsPerSec);
    }
    cmp.byGroup = byGroup;
  }
  return cmp;
}

/** Everything the summary table, summary.json and summary.md show. */
export function summarize(records: RunRecord[], fallbackName = 'topology'): RunSummary {
  const variants = variantsInOrder(records);
  const meta = records.filter((r): r is MetaRecord => r.type === 'meta');
  const phases = records.filter((r): r is PhaseRecord => r.type === 'phase').map(phaseSummary);
  const events = records.filter((r): r is EventRecord => r.type === 'event');

  const nodes: NodeSummary[] = [];
  for (const variant of variants) {
    const byNode = new Map<string, NodeRecord[]>();
    for (const r of records) {
      if (r.type !== 'node' || r.variant !== variant) continue;
      const list = byNode.get(r.node) ?? [];
      list.push(r);
      byNode.set(r.node, list);
    }
    for (const node of [...byNode.keys()].sort()) nodes.push(nodeSummary(variant, node, byNode.get(node)!));
  }

  const comparisons: PhaseComparison[] = [];
  const [baseline, ...others] = variants;
  for (const variant of others) {
    for (const p of phases.filter((x) => x.variant === variant)) {
      const base = phases.find((x) => x.variant === baseline && x.phase === p.phase);
      if (base !== undefined) comparisons.push(comparePhase(p, base));
    }
  }

  return { topology: meta[0]?.topology ?? fallbackName, variants, meta, phases, nodes, events, comparisons, notes: [] };
}
