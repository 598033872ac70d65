import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../records.js';
import { chartSpecs } from './chart-specs.js';
import { renderResults } from './charts.js';
import { sampleRun } from './sample-records.js';
import { ResultsWriter } from './writer.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'edgekv-charts-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function runDir(records: RunRecord[]): string {
  const w = ResultsWriter.create(root, 'paper');
  for (const r of records) w.write(r);
  w.close();
  return w.dir;
}

/** One <svg> root, every element closed in order. */
function expectWellFormedSvg(svg: string): void {
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing) continue;
    if (closing) expect(stack.pop()).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
}

const svgText = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

describe('renderResults', () => {
  it('writes every chart with its spec, summary.json and summary.md, and returns the text summary', async () => {
    const dir = runDir(sampleRun());
    const out = await renderResults(dir);
    const specs = chartSpecs(sampleRun(), 'paper').filter((c) => 'spec' in c);
    const names = out.files.map((f) => basename(f));
    for (const chart of ['throughput', 'latency', 'stalls', 'offload', 'clients']) {
      expect(names).toContain(`${chart}.svg`);
      expect(names).toContain(`${chart}.vl.json`);
      expectWellFormedSvg(readFileSync(join(dir, `${chart}.svg`), 'utf8'));
      expect(JSON.parse(readFileSync(join(dir, `${chart}.vl.json`), 'utf8'))).toEqual(specs.find((c) => c.name === chart)!.spec);
    }
    expect(names).toContain('summary.json');
    expect(names).toContain('summary.md');
    expect(out.summary).toContain('Each variant against edge');
    expect(out.resultLines).toHaveLength(4);
    const json = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(json.variants).toEqual(['edge', 'cloud']);
    expect(json.charts).toEqual(['throughput.svg', 'latency.svg', 'stalls.svg', 'offload.svg', 'clients.svg']);
    expect(json.notes).toEqual([]);
  });

  it('draws the series, labels and units each chart is for', async () => {
    const dir = runDir(sampleRun());
    await renderResults(dir);
    const text = (chart: string) => svgText(readFileSync(join(dir, `${chart}.svg`), 'utf8')).join('\n');
    const throughput = text('throughput');
    for (const s of ['paper: throughput over time', 'throughput (ops/s)', 'time since the workload started (virtual s, simulated run)', 'edge', 'cloud', 'crash n2', 'ycsb-A@4']) {
      expect(throughput).toContain(s);
    }
    expect(throughput).toMatch(/restart n2 \(failed\) \[cloud\]/);
    const latency = text('latency');
    for (const s of ['latency (ms)', 'read', 'update', 'p50', 'p99', 'edge', 'cloud']) expect(latency).toContain(s);
    const stalls = text('stalls');
    for (const s of ['write-stall time (s)', 'l0', 'memtable', 'n1', 'n2', 'n3', 'edge', 'cloud']) expect(stalls).toContain(s);
    const offload = text('offload');
    for (const s of ['compactions', 'local', 'offloaded', 'received', 'n3', 'edge', 'cloud']) expect(offload).toContain(s);
    expect(offload).not.toContain('fallbacks');
    const clients = text('clients');
    for (const s of ['throughput against clients', 'clients', 'workload', 'ycsb-A', 'variant', 'edge', 'cloud']) expect(clients).toContain(s);
  });

  it('draws clients.svg only when a workload ran at more than one client count', async () => {
    const oneCount = sampleRun().filter((r) => !('phase' in r) || r.phase === 'ycsb-A@1');
    const dir = runDir(oneCount);
    const out = await renderResults(dir);
    expect(existsSync(join(dir, 'clients.svg'))).toBe(false);
    expect(existsSync(join(dir, 'throughput.svg'))).toBe(true);
    expect(out.summary).toContain('clients.svg skipped: no workload ran at more than one client count');
  });

  it('skips the node charts without node records, and says so', async () => {
    const dir = runDir(sampleRun(['edge']).filter((r) => r.type !== 'node'));
    const out = await renderResults(dir);
    expect(existsSync(join(dir, 'stalls.svg'))).toBe(false);
    expect(existsSync(join(dir, 'offload.svg'))).toBe(false);
    expect(out.summary).toMatch(/stalls\.svg skipped: no node records/);
    expect(out.summary).toMatch(/offload\.svg skipped: no node records/);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toMatch(/stalls\.svg skipped/);
    expect(out.summary).not.toContain('Edge nodes');
  });

  it('renders an empty run without failing: every chart skipped', async () => {
    const dir = runDir([]);
    const out = await renderResults(dir);
    expect(out.files.map((f) => basename(f))).toEqual(['summary.json', 'summary.md']);
    expect(out.summary).toContain('no phase records');
    expect(chartSpecs([], 'x').every((c) => 'skip' in c)).toBe(true);
  });

  it('stacks stalls by cause only when causes are recorded', () => {
    const noCauses = sampleRun(['edge']).map((r) => (r.type === 'node' ? { ...r, stallByCause: undefined } : r));
    const spec = chartSpecs(noCauses, 'x').find((c) => c.name === 'stalls')!;
    expect('spec' in spec && JSON.stringify(spec.spec)).not.toContain('"field":"cause"');
    const withCauses = chartSpecs(sampleRun(['edge']), 'x').find((c) => c.name === 'stalls')!;
    expect('spec' in withCauses && JSON.stringify(withCauses.spec)).toContain('"field":"cause"');
  });
});
