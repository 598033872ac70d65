// The vega-lite specs of a run's plots, built from its records alone. Each
// builder returns a spec, or the reason there is nothing to plot.
import type { TopLevelSpec } from 'vega-lite';
import type { EventRecord, PhaseRecord, RunRecord, TickRecord } from '../records.js';
import { summarize } from './summary.js';

export type ChartName = 'throughput' | 'latency' | 'stalls' | 'offload' | 'clients';
export const CHART_NAMES: readonly ChartName[] = ['throughput', 'latency', 'stalls', 'offload', 'clients'];

export type ChartSpec = { spec: TopLevelSpec } | { skip: string };

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 640;
const HEIGHT = 300;
/** The x axis of the plots over time; a simulated run's seconds are virtual. */
const timeAxis = (simulated: boolean) => ({
  field: 't',
  type: 'quantitative',
  title: `time since the workload started (${simulated ? 'virtual s, simulated run' : 's'})`,
});

interface Input {
  topology: string;
  variants: string[];
  records: RunRecord[];
  /** Every variant was simulated (time is virtual). */
  simulated: boolean;
}

/** Four significant digits: enough for a plot, and the spec files stay small. */
const sig4 = (n: number) => (Number.isFinite(n) ? Number(n.toPrecision(4)) : n);

const ofType = <T extends RunRecord['type']>(records: RunRecord[], type: T) =>
  records.filter((r): r is Extract<RunRecord, { type: T }> => r.type === type);

const variantColor = (variants: string[]) => ({ field: 'variant', type: 'nominal' as const, title: 'variant', sort: variants });

function eventLabel(e: EventRecord): string {
  const detail = e.detail === '' ? '' : ` ${e.detail.length > 28 ? `${e.detail.slice(0, 28)}…` : e.detail}`;
  return `${e.event}${detail}${e.ok ? '' : ' (failed)'}`;
}

/** Timeline events once per time (the variants usually apply the same timeline); events at the same time share a label. */
function eventRows(events: EventRecord[], variants: string[]) {
  const byT = new Map<string, { t: number; ok: boolean; labels: Map<string, string[]> }>();
  for (const e of events) {
    const key = e.t.toFixed(1);
    const row = byT.get(key) ?? { t: e.t, ok: true, labels: new Map<string, string[]>() };
    row.ok &&= e.ok;
    const label = eventLabel(e);
    row.labels.set(label, [...(row.labels.get(label) ?? []), e.variant]);
    byT.set(key, row);
  }
  return [...byT.values()].map((r) => ({
    t: r.t,
    ok: r.ok,
    label: [...r.labels]
      .map(([label, vs]) => (variants.length > 1 && vs.length < variants.length ? `${label} [${vs.join(', ')}]` : label))
      .join('; '),
  }));
}

/** Where each phase starts, once per (phase, start). */
function phaseStarts(phases: PhaseRecord[]) {
  const seen = new Map<string, { t: number; phase: string }>();
  for (const p of phases) seen.set(`${p.phase}|${p.startT.toFixed(1)}`, { t: p.startT, phase: p.phase });
  return [...seen.values()];
}

function throughput({ topology, variants, records, simulated }: Input): ChartSpec {
  const timeX = timeAxis(simulated);
  const ticks = ofType(records, 'tick');
  if (ticks.length === 0) return { skip: 'no tick records' };
  const rows = ticks.map((r: TickRecord) => ({ variant: r.variant, phase: r.phase, t: r.t, opsPerSec: r.opsPerSec }));
  const events = eventRows(ofType(records, 'event'), variants);
  const layers: object[] = [
    {
      data: { values: rows },
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        x: timeX,
        y: { field: 'opsPerSec', type: 'quantitative', title: 'throughput (ops/s)' },
        color: variantColor(variants),
      },
    },
  ];
  const starts = phaseStarts(ofType(records, 'phase'));
  if (starts.length > 0) {
    // Under the lines.
    layers.unshift(
      { data: { values: starts }, mark: { type: 'rule', color: '#dddddd', strokeWidth: 2 }, encoding: { x: timeX } },
      {
        data: { values: starts },
        mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 3, dy: -3, fontSize: 10, fontStyle: 'italic', color: '#777777' },
        encoding: { x: timeX, y: { value: HEIGHT }, text: { field: 'phase', type: 'nominal' } },
      },
    );
  }
  if (events.length > 0) {
    layers.push(
      {
        data: { values: events },
        mark: { type: 'rule', strokeDash: [4, 3] },
        encoding: {
          x: timeX,
          color: { condition: { test: '!datum.ok', value: '#c0392b' }, value: '#888888' },
        },
      },
      {
        data: { values: events },
        mark: { type: 'text', angle: 270, align: 'right', baseline: 'bottom', dx: -4, dy: -2, fontSize: 10 },
        encoding: {
          x: timeX,
          y: { value: 0 },
          text: { field: 'label', type: 'nominal' },
          color: { condition: { test: '!datum.ok', value: '#c0392b' }, value: '#555555' },
        },
      },
    );
  }
  return {
    spec: {
      $schema: SCHEMA,
      title: { text: `${topology}: throughput over time`, subtitle: events.length > 0 ? 'dashed lines: timeline events (red: failed); grey: phase starts' : 'grey lines: phase starts' },
      width: WIDTH,
      height: HEIGHT,
      layer: layers,
    } as TopLevelSpec,
  };
}

function latency({ topology, variants, records, simulated }: Input): ChartSpec {
  const rows: Array<{ variant: string; phase: string; op: string; stat: string; t: number; ms: number }> = [];
  for (const r of ofType(records, 'tick')) {
    for (const [op, st] of Object.entries(r.byOp)) {
      if (st === undefined || st.count <= 0) continue;
      rows.push({ variant: r.variant, phase: r.phase, op, stat: 'p50', t: r.t, ms: sig4(st.p50Ms) });
      rows.push({ variant: r.variant, phase: r.phase, op, stat: 'p99', t: r.t, ms: sig4(st.p99Ms) });
    }
  }
  if (rows.length === 0) return { skip: 'no latency in the tick records' };
  return {
    spec: {
      $schema: SCHEMA,
      title: { text: `${topology}: latency over time, per op type`, subtitle: 'solid: p50, dashed: p99' },
      data: { values: rows },
      facet: { row: { field: 'op', type: 'nominal', title: 'op type' } },
      spec: {
        width: WIDTH,
        height: 160,
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: timeAxis(simulated),
          y: { field: 'ms', type: 'quantitative', title: 'latency (ms)' },
          color: variantColor(variants),
          strokeDash: { field: 'stat', type: 'nominal', title: 'percentile', sort: ['p50', 'p99'] },
        },
      },
      resolve: { scale: { y: 'independent' } },
    } as TopLevelSpec,
  };
}

function stalls({ topology, variants, records }: Input): ChartSpec {
  const nodes = summarize(records).nodes.filter((n) => n.stallMs !== undefined);
  if (nodes.length === 0) return { skip: 'no node records with stall time' };
  const byCause = nodes.some((n) => n.stallByCause !== undefined && Object.values(n.stallByCause).some((v) => v > 0));
  const rows: Array<{ variant: string; node: string; cause: string; seconds: number }> = [];
  for (const n of nodes) {
    if (!byCause) {
      rows.push({ variant: n.variant, node: n.node, cause: 'stall', seconds: n.stallMs! / 1000 });
      continue;
    }
    let rest = n.stallMs!;
    for (const [cause, v] of Object.entries(n.stallByCause ?? {})) {
      rows.push({ variant: n.variant, node: n.node, cause, seconds: v / 1000 });
      rest -= v;
    }
    if (rest > 0.5) rows.push({ variant: n.variant, node: n.node, cause: 'other', seconds: rest / 1000 });
  }
  const y = { field: 'seconds', type: 'quantitative', title: 'write-stall time (s)', aggregate: 'sum' };
  const spec = byCause
    ? {
        facet: { column: { field: 'variant', type: 'nominal', title: 'variant', sort: variants } },
        spec: {
          width: Math.max(120, 36 * new Set(rows.map((r) => r.node)).size),
          height: 260,
          mark: 'bar',
          encoding: { x: { field: 'node', type: 'nominal', title: 'edge node' }, y, color: { field: 'cause', type: 'nominal', title: 'cause' } },
        },
      }
    : {
        width: Math.max(240, 48 * new Set(rows.map((r) => r.node)).size),
        height: 260,
        mark: 'bar',
        encoding: {
          x: { field: 'node', type: 'nominal', title: 'edge node' },
          xOffset: { field: 'variant', type: 'nominal', sort: variants },
          y,
          color: variantColor(variants),
        },
      };
  return {
    spec: {
      $schema: SCHEMA,
      title: { text: `${topology}: write-stall time per node`, subtitle: 'increase over the run' },
      data: { values: rows },
      ...spec,
    } as TopLevelSpec,
  };
}

function offload({ topology, variants, records }: Input): ChartSpec {
  const nodes = summarize(records).nodes.filter((n) => n.compactions !== undefined);
  if (nodes.length === 0) return { skip: 'no node records with compaction counts' };
  const kinds: Array<'local' | 'offloaded' | 'received' | 'fallbacks'> = ['local', 'offloaded', 'received'];
  if (nodes.some((n) => n.compactions!.fallbacks > 0)) kinds.push('fallbacks');
  const rows = nodes.flatMap((n) => kinds.map((kind) => ({ variant: n.variant, node: n.node, kind, count: n.compactions![kind] })));
  return {
    spec: {
      $schema: SCHEMA,
      title: { text: `${topology}: compactions per node`, subtitle: ['local: merged on the node itself; offloaded: sent to another node;', 'received: merged for another node (increase over the run)'] },
      data: { values: rows },
      facet: { column: { field: 'variant', type: 'nominal', title: 'variant', sort: variants } },
      spec: {
        width: Math.max(160, 60 * new Set(rows.map((r) => r.node)).size),
        height: 260,
        mark: 'bar',
        encoding: {
          x: { field: 'node', type: 'nominal', title: 'edge node' },
          xOffset: { field: 'kind', type: 'nominal', sort: kinds },
          y: { field: 'count', type: 'quantitative', title: 'compactions' },
          color: { field: 'kind', type: 'nominal', title: 'compaction', sort: kinds },
        },
      },
    } as TopLevelSpec,
  };
}

/** Workloads run at more than one client count (in any variant). */
export function sweptWorkloads(phases: PhaseRecord[]): string[] {
  const counts = new Map<string, Set<number>>();
  for (const p of phases) counts.set(p.workload, (counts.get(p.workload) ?? new Set()).add(p.clients));
  return [...counts].filter(([, c]) => c.size > 1).map(([w]) => w);
}

function clients({ topology, variants, records }: Input): ChartSpec {
  const phases = ofType(records, 'phase');
  const swept = sweptWorkloads(phases);
  if (swept.length === 0) return { skip: 'no workload ran at more than one client count' };
  const rows = phases
    .filter((p) => swept.includes(p.workload))
    .map((p) => ({ series: variants.length > 1 ? `${p.workload} (${p.variant})` : p.workload, workload: p.workload, variant: p.variant, clients: p.clients, opsPerSec: p.opsPerSec }));
  return {
    spec: {
      $schema: SCHEMA,
      title: `${topology}: throughput against clients`,
      width: WIDTH,
      height: 300,
      data: { values: rows },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'clients', type: 'quantitative', title: 'clients', scale: { zero: false }, axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'opsPerSec', type: 'quantitative', title: 'throughput (ops/s)' },
        color: { field: 'series', type: 'nominal', title: variants.length > 1 ? 'workload (variant)' : 'workload', sort: [...new Set(rows.map((r) => r.series))] },
      },
    } as TopLevelSpec,
  };
}

const BUILDERS: Record<ChartName, (input: Input) => ChartSpec> = { throughput, latency, stalls, offload, clients };

/** Every chart's spec, or why it is skipped, in CHART_NAMES order. */
export function chartSpecs(records: RunRecord[], topology: string): Array<{ name: ChartName } & ChartSpec> {
  const variants: string[] = [];
  for (const r of records) if (!variants.includes(r.variant)) variants.push(r.variant);
  const metas = ofType(records, 'meta');
  const simulated = metas.length > 0 && metas.every((m) => m.mode === 'simulated');
  return CHART_NAMES.map((name) => ({ name, ...BUILDERS[name]({ topology, variants, records, simulated }) }));
}
