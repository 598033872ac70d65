// What every chart builder shares: the input, the result, sizes and encodings.
import type { TopLevelSpec } from 'vega-lite';
import type { RunRecord } from '../records.js';

export type ChartSpec = { spec: TopLevelSpec } | { skip: string };

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
export const WIDTH = 640;
export const HEIGHT = 300;
/** The x axis of the plots over time; a simulated run's seconds are virtual. */
export const timeAxis = (simulated: boolean) => ({
  field: 't',
  type: 'quantitative',
  title: `time since the workload started (${simulated ? 'virtual s, simulated run' : 's'})`,
});

export interface ChartInput {
  topology: string;
  variants: string[];
  records: RunRecord[];
  /** Every variant was simulated (time is virtual). */
  simulated: boolean;
}

/** Four significant digits: enough for a plot, and the spec files stay small. */
export const sig4 = (n: number) => (Number.isFinite(n) ? Number(n.toPrecision(4)) : n);

export const ofType = <T extends RunRecord['type']>(records: RunRecord[], type: T) =>
  records.filter((r): r is Extract<RunRecord, { type: T }> => r.type === type);

export const variantColor = (variants: string[]) => ({ field: 'variant', type: 'nominal' as const, title: 'variant', sort: variants });
