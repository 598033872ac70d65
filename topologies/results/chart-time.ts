// The plots over time: throughput (with the timeline's events and the phase
// starts) and latency per op type.
import type { TopLevelSpec } from 'vega-lite';
import type { EventRecord, PhaseRecord, TickRecord } from '../records.js';
import { HEIGHT, ofType, SCHEMA, sig4, timeAxis, variantColor, WIDTH, type ChartInput, type ChartSpec } from './chart-common.js';

function eventLabel(e: EventRecord): string {
  const detail = e.detail === '' || e.detail === e.event ? '' : ` ${e.detail.length > 28 ? `${e.detail.slice(0, 28)}…` : e.detail}`;
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

export function throughput({ topology, variants, records, simulated }: ChartInput): ChartSpec {
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

export function latency({ topology, variants, records, simulated }: ChartInput): ChartSpec {
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
