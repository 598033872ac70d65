// A run summary as text: aligned tables for the terminal, markdown tables for
// summary.md, and the `RESULT {json}` lines of ../shared/BENCHMARKS.md.
import { table } from '../../cli/status-table.js';
import type { LatencyStats, OpName } from '../records.js';
import type { Change, RunSummary } from './summary.js';

interface Section {
  title: string;
  header: string[];
  rows: string[][];
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
/** Milliseconds with about three significant digits. */
export const ms = (n: number) => (n < 1 ? n.toFixed(3) : n < 10 ? n.toFixed(2) : n.toFixed(1));
const secs = (msValue: number) => (msValue / 1000).toFixed(1);

/** `+19.0% more` / `-26.0% lower`: the sign and the word both say which way. */
export function formatChange(c: Change | undefined, up: string, down: string): string {
  if (c === undefined || c.pct === undefined) return '-';
  const pct = c.pct;
  if (Math.abs(pct) < 0.05) return '0.0% same';
  return `${pct > 0 ? '+' : '-'}${Math.abs(pct).toFixed(1)}% ${pct > 0 ? up : down}`;
}

function header(s: RunSummary): string[] {
  const variants = s.variants.map((v) => {
    const m = s.meta.find((x) => x.variant === v);
    return m === undefined ? v : `${v} (${m.mode}, seed ${m.seed}, ${m.hosts.length} hosts)`;
  });
  const lines = [`topology ${s.topology}: ${s.variants.length} variant${s.variants.length === 1 ? '' : 's'}: ${variants.join(', ')}`];
  const m = s.meta[0];
  if (m !== undefined) {
    lines.push(`machine: ${m.machine.nproc} cores, node ${m.machine.node}, ${m.machine.platform}${m.tiersEmulated ? '; hardware tiers emulated on this one host' : ''}`);
  }
  return lines;
}

function phaseRows(s: RunSummary): string[][] {
  const rows: string[][] = [];
  for (const p of s.phases) {
    const ops = Object.entries(p.byOp) as Array<[OpName, LatencyStats]>;
    const first = [p.variant, p.phase, p.workload, String(p.clients), p.seconds.toFixed(0), int(p.ops), int(p.opsPerSec), int(p.errors)];
    if (ops.length === 0) rows.push([...first, '-', '-', '-', '-']);
    ops.forEach(([op, st], i) => {
      rows.push([...(i === 0 ? first : first.map(() => '')), op, int(st.count), ms(st.p50Ms), ms(st.p99Ms)]);
    });
  }
  return rows;
}

function nodeRows(s: RunSummary): string[][] {
  return s.nodes.map((n) => {
    const causes = n.stallByCause === undefined ? '-' : Object.entries(n.stallByCause).filter(([, v]) => v > 0).map(([c, v]) => `${c} ${secs(v)}`).join(', ') || '-';
    const c = n.compactions;
    return [
      n.variant,
      n.node,
      n.stallMs === undefined ? '?' : secs(n.stallMs),
      causes,
      c === undefined ? '?' : int(c.local),
      c === undefined ? '?' : int(c.offloaded),
      c === undefined ? '?' : int(c.received),
      c === undefined
        ? '?'
        : `${int(c.fallbacks)}${c.fallbacksByReason !== undefined && c.fallbacks > 0 ? ` (${Object.entries(c.fallbacksByReason).map(([r, n]) => `${r} ${n}`).join(', ')})` : ''}`,
      n.downSamples === 0 ? '' : `${n.downSamples}/${n.samples}`,
    ];
  });
}

function sections(s: RunSummary): Section[] {
  const out: Section[] = [];
  out.push({
    title: 'Phases',
    header: ['variant', 'phase', 'workload', 'clients', 'secs', 'ops', 'ops/s', 'errors', 'op', 'count', 'p50 ms', 'p99 ms'],
    rows: phaseRows(s),
  });
  const failing = s.phases.filter((p) => p.firstError !== undefined);
  if (failing.length > 0) {
    out.push({
      title: 'First error of each phase with errors',
      header: ['variant', 'phase', 'errors', 'first error'],
      rows: failing.map((p) => [p.variant, p.phase, int(p.errors), p.firstError!.length > 100 ? `${p.firstError!.slice(0, 100)}…` : p.firstError!]),
    });
  }
  if (s.nodes.length > 0) {
    out.push({
      title: 'Edge nodes (increase from first to last sample)',
      header: ['variant', 'node', 'stall s', 'stall by cause (s)', 'local', 'offloaded', 'received', 'fallbacks', 'down'],
      rows: nodeRows(s),
    });
  }
  if (s.events.length > 0) {
    out.push({
      title: 'Timeline events',
      header: ['variant', 't (s)', 'event', 'detail', 'result'],
      rows: s.events.map((e) => [e.variant, e.t.toFixed(1), e.event, e.detail, e.ok ? 'ok' : `FAILED${e.error !== undefined ? `: ${e.error}` : ''}`]),
    });
  }
  const grouped = s.phases.filter((p) => p.byGroup !== undefined && Object.keys(p.byGroup).length > 1);
  if (grouped.length > 0) {
    out.push({
      title: `Throughput per group (its clients' operations${s.comparisons.length > 0 ? `; change against ${s.variants[0]}` : ''})`,
      header: ['variant', 'phase', 'group', 'ops/s', 'errors', ...(s.comparisons.length > 0 ? ['throughput'] : [])],
      rows: grouped.flatMap((p) =>
        Object.entries(p.byGroup!).map(([g, v]) => {
          const cmp = s.comparisons.find((c) => c.variant === p.variant && c.phase === p.phase)?.byGroup?.[g];
          return [p.variant, p.phase, g, int(v.opsPerSec), int(v.errors), ...(s.comparisons.length > 0 ? [formatChange(cmp, 'more', 'less')] : [])];
        }),
      ),
    });
  }
  if (s.comparisons.length > 0) {
    out.push({
      title: `Each variant against ${s.variants[0]} (change in % of ${s.variants[0]})`,
      header: ['variant', 'phase', 'ops/s', `${s.variants[0]} ops/s`, 'throughput', 'write mean ms', `${s.variants[0]} write ms`, 'write latency'],
      rows: s.comparisons.map((c) => [
        c.variant,
        c.phase,
        int(c.throughput.value),
        int(c.throughput.base),
        formatChange(c.throughput, 'more', 'less'),
        c.writeMeanMs === undefined ? '-' : ms(c.writeMeanMs.value),
        c.writeMeanMs === undefined ? '-' : ms(c.writeMeanMs.base),
        formatChange(c.writeMeanMs, 'higher', 'lower'),
      ]),
    });
  }
  return out;
}

/** The summary `edgekv run` prints at the end: aligned columns, as the CLI's other tables. */
export function formatSummary(s: RunSummary): string {
  const parts = [header(s).join('\n')];
  for (const sec of sections(s)) parts.push(`${sec.title}:\n${table(sec.header, sec.rows)}`);
  if (s.phases.length === 0) parts.push('(no phase finished: no phase records)');
  if (s.notes.length > 0) parts.push(`Notes:\n${s.notes.map((n) => `- ${n}`).join('\n')}`);
  return parts.join('\n\n');
}

const mdCell = (c: string) => (c === '' ? ' ' : c.replace(/\|/g, '\\|'));

function mdTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(mdCell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** summary.md: the same tables in markdown, then the plots (SVG file names in the same directory). */
export function formatSummaryMarkdown(s: RunSummary, charts: string[] = []): string {
  const parts = [`# ${s.topology}`, header(s).join('  \n')];
  for (const sec of sections(s)) parts.push(`## ${sec.title}\n\n${mdTable(sec.header, sec.rows)}`);
  if (charts.length > 0) parts.push(`## Plots\n\n${charts.map((c) => `![${c.replace(/\.svg$/, '')}](${c})`).join('\n\n')}`);
  if (s.phases.length === 0) parts.push('(no phase finished: no phase records)');
  if (s.notes.length > 0) parts.push(`## Notes\n\n${s.notes.map((n) => `- ${n}`).join('\n')}`);
  return `${parts.join('\n\n')}\n`;
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));

/**
 * One `RESULT {json}` line per variant and phase (../shared/BENCHMARKS.md).
 * A phase with several op types has no single percentile in its records:
 * p50_ms is the count-weighted mean of the per-op p50s, p99_ms the largest
 * per-op p99 (an upper bound of the overall p99); `by_op` has the exact ones.
 */
export function resultLines(s: RunSummary): string[] {
  return s.phases.map((p) => {
    const ops = Object.entries(p.byOp) as Array<[OpName, LatencyStats]>;
    const count = ops.reduce((n, [, st]) => n + st.count, 0);
    const p50 = count > 0 ? ops.reduce((n, [, st]) => n + st.count * st.p50Ms, 0) / count : 0;
    const p99 = ops.reduce((n, [, st]) => Math.max(n, st.p99Ms), 0);
    const m = s.meta.find((x) => x.variant === p.variant) ?? s.meta[0];
    const line = {
      bench: `topology:${s.topology}`,
      system: 'edgekv',
      workload: p.phase,
      ops_per_sec: round(p.opsPerSec, 1),
      p50_ms: round(p50, 3),
      p99_ms: round(p99, 3),
      variant: p.variant,
      clients: p.clients,
      errors: p.errors,
      by_op: Object.fromEntries(ops.map(([op, st]) => [op, { count: st.count, p50_ms: round(st.p50Ms, 3), p99_ms: round(st.p99Ms, 3) }])),
      ...(m !== undefined ? { mode: m.mode, nproc: m.machine.nproc, node: m.machine.node } : {}),
    };
    return `RESULT ${JSON.stringify(line)}`;
  });
}
