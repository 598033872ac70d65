// Throughput against client count, for workloads run as a sweep (phases
// like `ycsb-A@1`, `ycsb-A@4`, ...): the EdgeKV paper's throughput-vs-clients figure.
import type { TopLevelSpec } from 'vega-lite';
import type { PhaseRecord } from '../records.js';
import { ofType, SCHEMA, WIDTH, type ChartInput, type ChartSpec } from './chart-common.js';

/** Workloads run at more than one client count (in any variant). */
export function sweptWorkloads(phases: PhaseRecord[]): string[] {
  const counts = new Map<string, Set<number>>();
  for (const p of phases) counts.set(p.workload, (counts.get(p.workload) ?? new Set()).add(p.clients));
  return [...counts].filter(([, c]) => c.size > 1).map(([w]) => w);
}

export function clients({ topology, variants, records }: ChartInput): ChartSpec {
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
        // One colour per workload, one dash per variant: a workload's variants sit side by side.
        color: { field: 'workload', type: 'nominal', title: 'workload', sort: swept },
        ...(variants.length > 1 ? { strokeDash: { field: 'variant', type: 'nominal', title: 'variant', sort: variants }, shape: { field: 'variant', type: 'nominal', title: 'variant', sort: variants }, detail: { field: 'series' } } : {}),
      },
    } as TopLevelSpec,
  };
}
