import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../records.js';
import { formatChange, formatSummary, formatSummaryMarkdown, resultLines } from './summary-format.js';
import { change, increase, summarize, writeMeanMs } from './summary.js';
import { sampleRun } from './sample-records.js';

describe('summary math', () => {
  it('counts a cumulative counter as its increase, from zero again after a restart', () => {
    expect(increase([])).toBe(0);
    expect(increase([5])).toBe(0);
    expect(increase([10, 12, 15])).toBe(5);
    expect(increase([10, 15, 0, 3, 4])).toBe(9);
  });

  it('weights the write latency by count and ignores reads', () => {
    const lat = (count: number, meanMs: number) => ({ count, errors: 0, p50Ms: meanMs, p99Ms: meanMs, meanMs });
    expect(writeMeanMs({ read: lat(100, 50), update: lat(3, 2), insert: lat(1, 6) })).toBe(3);
    expect(writeMeanMs({ read: lat(100, 1) })).toBeUndefined();
  });

  it('gives a change in percent of the base, and none against zero', () => {
    expect(change(100, 119).pct).toBeCloseTo(19);
    expect(change(2, 1.48).pct).toBeCloseTo(-26);
    expect(change(0, 5).pct).toBeUndefined();
  });

  it('says the direction in words as well as by sign', () => {
    expect(formatChange(change(100, 119), 'more', 'less')).toBe('+19.0% more');
    expect(formatChange(change(2, 1.48), 'higher', 'lower')).toBe('-26.0% lower');
    expect(formatChange(change(5, 5), 'higher', 'lower')).toBe('0.0% same');
    expect(formatChange(undefined, 'higher', 'lower')).toBe('-');
  });
});

describe('summarize', () => {
  const s = summarize(sampleRun());

  it('keeps the variants in order and one entry per variant and phase', () => {
    expect(s.topology).toBe('paper');
    expect(s.variants).toEqual(['edge', 'cloud']);
    expect(s.phases.map((p) => `${p.variant}/${p.phase}/${p.workload}/${p.clients}`)).toEqual([
      'edge/ycsb-A@1/ycsb-A/1',
      'edge/ycsb-A@4/ycsb-A/4',
      'cloud/ycsb-A@1/ycsb-A/1',
      'cloud/ycsb-A@4/ycsb-A/4',
    ]);
    const p = s.phases[1]!;
    expect([p.seconds, p.ops, p.opsPerSec, p.errors]).toEqual([5, 10000, 2000, 3]);
  });

  it('takes stall time and compactions per node as the difference between its first and last records', () => {
    const n1 = s.nodes.find((n) => n.variant === 'edge' && n.node === 'n1')!;
    expect(n1.stallMs).toBe(900);
    expect(n1.stallByCause).toEqual({ l0: 540, memtable: 360 });
    expect(n1.compactions).toEqual({ local: 9, offloaded: 0, received: 9, fallbacks: 0 });
    expect(n1.downSamples).toBe(0);
    // n2 is down at t=5,6 and restarts at t=7 from zero: 4 s before, 2 s after.
    const n2 = s.nodes.find((n) => n.variant === 'cloud' && n.node === 'n2')!;
    expect(n2.stallMs).toBe(300);
    expect(n2.compactions!.local).toBe(6);
    expect(n2.downSamples).toBe(2);
    expect(s.nodes).toHaveLength(6);
  });

  it('compares each variant with the first, phase by phase', () => {
    expect(s.comparisons.map((c) => `${c.variant} vs ${c.baseline} ${c.phase}`)).toEqual(['cloud vs edge ycsb-A@1', 'cloud vs edge ycsb-A@4']);
    const c = s.comparisons[0]!;
    expect(c.throughput.pct).toBeCloseTo(-20);
    expect(c.writeMeanMs!.pct).toBeCloseTo(25);
    expect(c.byOp.update!.p99Ms.pct).toBeCloseTo(25);
    expect(c.byOp.read!.p50Ms.pct).toBeCloseTo(0);
  });

  it('has no comparison for a single variant, or for a phase the first variant did not run', () => {
    expect(summarize(sampleRun(['edge'])).comparisons).toEqual([]);
    const onlyCloud: RunRecord = { type: 'phase', variant: 'cloud', phase: 'ycsb-C@1', workload: 'ycsb-C', clients: 1, startT: 10, endT: 15, ops: 10, opsPerSec: 2, errors: 0, byOp: {} };
    const extra = [...sampleRun(), onlyCloud];
    expect(summarize(extra).comparisons.map((c) => c.phase)).toEqual(['ycsb-A@1', 'ycsb-A@4']);
  });

  it('lists the timeline events with their outcome', () => {
    expect(s.events.map((e) => `${e.variant} ${e.event} ${e.ok}`)).toEqual(['edge crash true', 'edge restart true', 'cloud crash true', 'cloud restart false']);
  });

  it('takes the name from the directory when there is no meta record', () => {
    expect(summarize(sampleRun().filter((r) => r.type !== 'meta'), 'from-dir').topology).toBe('from-dir');
  });
});

describe('formatting', () => {
  const s = summarize(sampleRun());

  it('prints aligned tables with the direction of each change', () => {
    const text = formatSummary(s);
    expect(text).toContain('topology paper: 2 variants');
    expect(text).toMatch(/^edge +ycsb-A@4 +ycsb-A +4 +5 +10,000 +2,000 +3 +read +5,000 +1\.00 +4\.00$/m);
    expect(text).toMatch(/^edge +n1 +0\.9 +l0 0\.5, memtable 0\.4 +9 +0 +9 +0$/m);
    expect(text).toMatch(/^cloud +7\.0 +restart +n2 +FAILED: port in use$/m);
    expect(text).toMatch(/^cloud +ycsb-A@1 +800 +1,000 +-20\.0% less +2\.50 +2\.00 +\+25\.0% higher$/m);
    const lines = text.split('\n');
    const header = lines.findIndex((l) => l.startsWith('variant  phase     workload'));
    expect(lines[header + 1]!.split('  ')[0]).toMatch(/^-+$/);
  });

  it('shows the first error of a phase that had errors', () => {
    const records = sampleRun().map((r) => (r.type === 'phase' && r.errors > 0 ? { ...r, firstError: 'timeout after 500 ms | gw' } : r));
    const text = formatSummary(summarize(records));
    expect(text).toMatch(/^cloud +ycsb-A@4 +3 +timeout after 500 ms \| gw$/m);
    expect(formatSummaryMarkdown(summarize(records))).toContain('| cloud | ycsb-A@4 | 3 | timeout after 500 ms \\| gw |');
    expect(formatSummary(s)).not.toContain('First error');
  });

  it('writes the same tables as markdown', () => {
    const md = formatSummaryMarkdown(s, ['throughput.svg']);
    expect(md).toContain('# paper');
    expect(md).toContain('| variant | phase | workload | clients |');
    expect(md).toContain('| cloud | ycsb-A@1 | 800 | 1,000 | -20.0% less |');
    expect(md).toContain('![throughput](throughput.svg)');
  });

  it('prints one RESULT line per variant and phase in the BENCHMARKS.md format', () => {
    const lines = resultLines(s);
    expect(lines).toHaveLength(4);
    expect(lines.every((l) => l.startsWith('RESULT {'))).toBe(true);
    const r = JSON.parse(lines[2]!.slice('RESULT '.length));
    expect(r).toMatchObject({ bench: 'topology:paper', system: 'edgekv', workload: 'ycsb-A@1', ops_per_sec: 800, variant: 'cloud', clients: 1, p99_ms: 7.5, nproc: 2 });
    expect(r.p50_ms).toBeCloseTo(1.75);
  });
});

describe('throughput per group', () => {
  const phase = (variant: string, byGroup: Record<string, number>): RunRecord => ({
    type: 'phase',
    variant,
    phase: 'fillrandom@6',
    workload: 'fillrandom',
    clients: 6,
    startT: 0,
    endT: 10,
    ops: Object.values(byGroup).reduce((a, b) => a + b, 0) * 10,
    opsPerSec: Object.values(byGroup).reduce((a, b) => a + b, 0),
    errors: 0,
    byOp: {},
    byGroup: Object.fromEntries(Object.entries(byGroup).map(([g, v]) => [g, { ops: v * 10, opsPerSec: v, errors: 0 }])),
  });

  it('compares each group with the same group of the first variant, and shows it', () => {
    const s = summarize([phase('baseline', { high: 100, low: 50 }), phase('edgepilot', { high: 98, low: 75 })]);
    expect(s.comparisons[0]!.byGroup!['high']!.pct).toBeCloseTo(-2, 5);
    expect(s.comparisons[0]!.byGroup!['low']!.pct).toBeCloseTo(50, 5);
    const text = formatSummary(s);
    expect(text).toContain('Throughput per group');
    expect(text).toMatch(/edgepilot\s+fillrandom@6\s+low\s+75\s+0\s+\+50\.0% more/);
    expect(text).toMatch(/edgepilot\s+fillrandom@6\s+high\s+98\s+0\s+-2\.0% less/);
  });
});
