// The vega-lite specs of a run's plots, built from its records alone. Each
// builder returns a spec, or the reason there is nothing to plot.
import type { RunRecord } from '../records.js';
import { clients } from './chart-clients.js';
import { ofType, type ChartInput, type ChartSpec } from './chart-common.js';
import { latency, throughput } from './chart-time.js';
import { offload, stalls } from './chart-nodes.js';

export type { ChartSpec } from './chart-common.js';
export { sweptWorkloads } from './chart-clients.js';

export type ChartName = 'throughput' | 'latency' | 'stalls' | 'offload' | 'clients';
export const CHART_NAMES: readonly ChartName[] = ['throughput', 'latency', 'stalls', 'offload', 'clients'];

const BUILDERS: Record<ChartName, (input: ChartInput) => ChartSpec> = { throughput, latency, stalls, offload, clients };

/** Every chart's spec, or why it is skipped, in CHART_NAMES order. */
export function chartSpecs(records: RunRecord[], topology: string): Array<{ name: ChartName } & ChartSpec> {
  const variants: string[] = [];
  for (const r of records) if (!variants.includes(r.variant)) variants.push(r.variant);
  const metas = ofType(records, 'meta');
  const simulated = metas.length > 0 && metas.every((m) => m.mode === 'simulated');
  return CHART_NAMES.map((name) => ({ name, ...BUILDERS[name]({ topology, variants, records, simulated }) }));
}
