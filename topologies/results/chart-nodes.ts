// The plots per edge node: write-stall time and compactions, from the
// increase of each node's counters over the run (summary.ts).
import type { TopLevelSpec } from 'vega-lite';
import { SCHEMA, variantColor, type ChartInput, type ChartSpec } from './chart-common.js';
import { summarize } from './summary.js';

export function stalls({ topology, variants, records }: ChartInput): ChartSpec {
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

export function offload({ topology, variants, records }: ChartInput): ChartSpec {
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
