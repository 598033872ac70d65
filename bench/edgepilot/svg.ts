/** Minimal SVG charts (bars and lines) for the benchmark's figures; no dependencies. */

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1'];
const W = 640;
const H = 320;
const M = { left: 64, right: 16, top: 40, bottom: 56 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  if (Math.abs(v) >= 1000) return `${Math.round(v / 100) / 10}k`;
  if (Math.abs(v) >= 10) return String(Math.round(v));
  return String(Math.round(v * 100) / 100);
}

function axes(title: string, yLabel: string, yMax: number, xLabel = ''): string[] {
  const out: string[] = [];
  const ph = H - M.top - M.bottom;
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    const y = M.top + ph - (ph * i) / 4;
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${fmt(v)}</text>`);
  }
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="#333"/>`);
  out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#333"/>`);
  out.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`);
  if (xLabel !== '') out.push(`<text x="${M.left + (W - M.left - M.right) / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`);
  return out;
}

function legend(names: string[]): string[] {
  return names.map((n, i) => {
    const x = M.left + 10 + i * 130;
    return `<rect x="${x}" y="${H - 24}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 16}" y="${H - 14}" font-size="12">${esc(n)}</text>`;
  });
}

function wrap(body: string[], note?: string): string {
  const n = note === undefined ? '' : `<text x="${W - M.right}" y="36" text-anchor="end" font-size="10" fill="#666">${esc(note)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif"><rect width="${W}" height="${H}" fill="white"/>${body.join('')}${n}</svg>`;
}

export interface BarChart {
  title: string;
  yLabel: string;
  categories: string[];
  series: { name: string; values: number[] }[];
  /** A dashed reference line (e.g. 1.0 for normalised charts). */
  reference?: number;
  note?: string;
}

export function barChart(c: BarChart): string {
  const all = c.series.flatMap((s) => s.values);
  const yMax = niceMax(Math.max(c.reference ?? 0, ...all) * 1.1);
  const out = axes(c.title, c.yLabel, yMax);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const groupW = pw / Math.max(1, c.categories.length);
  const barW = (groupW * 0.7) / Math.max(1, c.series.length);
  c.categories.forEach((cat, ci) => {
    const gx = M.left + ci * groupW + groupW * 0.15;
    c.series.forEach((s, si) => {
      const v = s.values[ci] ?? 0;
      const h = (ph * v) / yMax;
      const x = gx + si * barW;
      out.push(`<rect x="${x}" y="${M.top + ph - h}" width="${barW - 2}" height="${h}" fill="${COLORS[si % COLORS.length]}"/>`);
      out.push(`<text x="${x + barW / 2 - 1}" y="${M.top + ph - h - 3}" text-anchor="middle" font-size="10">${fmt(v)}</text>`);
    });
    out.push(`<text x="${gx + (barW * c.series.length) / 2}" y="${M.top + ph + 16}" text-anchor="middle" font-size="12">${esc(cat)}</text>`);
  });
  if (c.reference !== undefined) {
    const y = M.top + ph - (ph * c.reference) / yMax;
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#333" stroke-dasharray="4 3"/>`);
  }
  out.push(...legend(c.series.map((s) => s.name)));
  return wrap(out, c.note);
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: { name: string; points: [number, number][] }[];
  yMax?: number;
  note?: string;
}

export function lineChart(c: LineChart): string {
  const xs = c.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = c.series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = Math.max(1, ...xs);
  const yMax = c.yMax ?? niceMax(Math.max(1, ...ys) * 1.1);
  const out = axes(c.title, c.yLabel, yMax, c.xLabel);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  for (let i = 0; i <= 4; i++) {
    const x = M.left + (pw * i) / 4;
    out.push(`<text x="${x}" y="${M.top + ph + 14}" text-anchor="middle" font-size="11">${fmt((xMax * i) / 4)}</text>`);
  }
  c.series.forEach((s, si) => {
    const d = s.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${(M.left + (pw * x) / xMax).toFixed(1)},${(M.top + ph - (ph * Math.min(y, yMax)) / yMax).toFixed(1)}`).join('');
    out.push(`<path d="${d}" fill="none" stroke="${COLORS[si % COLORS.length]}" stroke-width="2"/>`);
  });
  out.push(...legend(c.series.map((s) => s.name)));
  return wrap(out, c.note);
}

/** Panels one above the other, as the paper's multi-part figures. */
export function stack(panels: string[]): string {
  const body = panels.map((p, i) => `<g transform="translate(0 ${i * H})">${p.replace(/^<svg[^>]*>/, '').replace(/<\/svg>$/, '')}</g>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H * panels.length}" viewBox="0 0 ${W} ${H * panels.length}" font-family="sans-serif">${body.join('')}</svg>`;
}
