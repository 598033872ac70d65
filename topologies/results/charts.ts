// Renders a results directory: from samples.jsonl to summary.json,
// summary.md, and one SVG per chart with its vega-lite spec beside it.
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { RunRecord } from '../records.js';
import { chartSpecs } from './chart-specs.js';
import { formatSummary, formatSummaryMarkdown, resultLines } from './summary-format.js';
import { summarize, type RunSummary } from './summary.js';
import { readRecords } from './writer.js';

/** A vega-lite spec as an SVG document, headless (no canvas, no browser). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A spec as JSON for people: indented, but each data row on one line (a run has thousands). */
export function specJson(spec: TopLevelSpec): string {
  const rows: unknown[][] = [];
  const text = JSON.stringify(
    spec,
    (key, value: unknown) => {
      if (key !== 'values' || !Array.isArray(value)) return value;
      rows.push(value);
      return `\u0000rows${rows.length - 1}\u0000`;
    },
    1,
  );
  return text.replace(/^( *)"values": "\\u0000rows(\d+)\\u0000"/gm, (_m, indent: string, i: string) => {
    const values = rows[Number(i)]!;
    if (values.length === 0) return `${indent}"values": []`;
    return `${indent}"values": [\n${values.map((v) => `${indent} ${JSON.stringify(v)}`).join(',\n')}\n${indent}]`;
  });
}

export interface RenderedCharts {
  /** Paths of the files written (each chart's .svg and .vl.json). */
  files: string[];
  /** `<chart>.svg skipped: <reason>` for each chart with nothing to show. */
  skipped: string[];
}

/** Writes `<chart>.svg` and `<chart>.vl.json` into dir for every chart the records have data for. */
export async function writeCharts(dir: string, records: RunRecord[], topology: string): Promise<RenderedCharts> {
  const files: string[] = [];
  const skipped: string[] = [];
  for (const chart of chartSpecs(records, topology)) {
    if ('skip' in chart) {
      skipped.push(`${chart.name}.svg skipped: ${chart.skip}`);
      continue;
    }
    const specFile = join(dir, `${chart.name}.vl.json`);
    const svgFile = join(dir, `${chart.name}.svg`);
    writeFileSync(specFile, `${specJson(chart.spec)}\n`);
    writeFileSync(svgFile, await renderSvg(chart.spec));
    files.push(svgFile, specFile);
  }
  return { files, skipped };
}

/** The name for a run without a meta record: `<root>/<name>/<timestamp>/` → `<name>`. */
const nameFromDir = (dir: string) => basename(dirname(join(dir, '.'))) || 'topology';

export interface RenderedResults {
  /** Every file written, in the order written. */
  files: string[];
  /** The plain-text summary for the terminal (formatSummary). */
  summary: string;
  /** The `RESULT {json}` lines, one per variant and phase; the caller prints them. */
  resultLines: string[];
  data: RunSummary;
}

/**
 * Reads `<dir>/samples.jsonl` and writes summary.json, summary.md and every
 * chart that has data (what `edgekv run` does at the end, and `edgekv report <dir>` again).
 */
export async function renderResults(dir: string): Promise<RenderedResults> {
  const records = readRecords(dir);
  const data = summarize(records, nameFromDir(dir));
  const charts = await writeCharts(dir, records, data.topology);
  data.notes.push(...charts.skipped);
  const lines = resultLines(data);
  const jsonFile = join(dir, 'summary.json');
  const mdFile = join(dir, 'summary.md');
  const svgs = charts.files.filter((f) => f.endsWith('.svg')).map((f) => basename(f));
  writeFileSync(jsonFile, `${JSON.stringify({ ...data, charts: svgs, resultLines: lines }, null, 1)}\n`);
  writeFileSync(mdFile, formatSummaryMarkdown(data, svgs));
  return { files: [...charts.files, jsonFile, mdFile], summary: formatSummary(data), resultLines: lines, data };
}
