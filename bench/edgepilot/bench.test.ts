import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEdgepilotBench } from './index.js';
import { barChart, lineChart, stack } from './svg.js';

describe('edgepilot benchmark (smoke)', () => {
  it('runs all three experiments briefly and writes RESULT lines and figures', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'edgepilot-smoke-'));
    try {
      const printed: string[] = [];
      const { lines, files } = await runEdgepilotBench({ quick: true, seconds: 1, outDir, print: (l) => printed.push(l) });
      const results = printed.filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7)) as Record<string, unknown>);
      expect(results).toEqual(JSON.parse(JSON.stringify(lines)));
      expect(results.every((r) => r.bench === 'edgepilot' && r.tiers === 'emulated')).toBe(true);
      for (const exp of ['tiers', 'scale']) {
        const nodes = exp === 'tiers' ? 3 : 6;
        expect(results.filter((r) => r.experiment === exp && r.system === 'edgekv')).toHaveLength(nodes);
        expect(results.filter((r) => r.experiment === exp && r.system === 'edgekv-baseline')).toHaveLength(nodes);
        expect(results.filter((r) => r.experiment === exp && r.system === 'ratio')).toHaveLength(nodes + 1);
      }
      for (const r of results.filter((x) => x.system !== 'ratio')) expect(r.ops_per_sec).toBeGreaterThan(0);
      // The baseline never offloads.
      for (const r of results.filter((x) => x.system === 'edgekv-baseline')) expect(r.compactions_offloaded).toBe(0);
      expect(files).toEqual(expect.arrayContaining(['fig8-throughput.svg', 'fig9-stall.svg', 'fig11-ramp.svg', 'fig12-scale-throughput.svg']));
      for (const f of files) {
        const svg = readFileSync(join(outDir, f), 'utf8');
        expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
        expect(svg.endsWith('</svg>')).toBe(true);
      }
      expect(readFileSync(join(outDir, 'README.md'), 'utf8')).toContain('emulated');
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('draws bars in proportion and lines through their points', () => {
    const bars = barChart({ title: 't', yLabel: 'y', categories: ['a', 'b'], series: [{ name: 's', values: [1, 2] }] });
    const heights = [...bars.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" fill="#4e79a7"\/>/g)].map((m) => Number(m[1])).slice(0, 2); // then the legend's swatch
    expect(heights[1]! / heights[0]!).toBeCloseTo(2, 5);
    const line = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [[0, 0], [10, 5]] }], yMax: 10 });
    expect(line).toMatch(/<path d="M64\.0,264\.0L624\.0,152\.0"/);
    expect(stack([line, line]).match(/<g transform/g)).toHaveLength(2);
  });
});
