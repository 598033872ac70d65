/** A grouped bar chart (ops/s per workload and system) as a standalone SVG. */
export function renderSvg(rows: readonly { system: string; workload: string; ops_per_sec: number }[], title: string): string {
  const workloads = [...new Set(rows.map((r) => r.workload))];
  const systems = [...new Set(rows.map((r) => r.system))];
  const colors = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759'];
  const max = Math.max(1, ...rows.map((r) => r.ops_per_sec));
  const barW = 28;
  const groupW = systems.length * barW + 30;
  const h = 260;
  const w = 80 + workloads.length * groupW + 160;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h + 70}" font-family="sans-serif" font-size="11">`,
    `<text x="10" y="16" font-size="13">${title}</text>`,
  ];
  workloads.forEach((wl, gi) => {
    const x0 = 70 + gi * groupW;
    systems.forEach((s, si) => {
      const r = rows.find((x) => x.workload === wl && x.system === s);
      if (r === undefined) return;
      const bh = (r.ops_per_sec / max) * h;
      const x = x0 + si * barW;
      parts.push(`<rect x="${x}" y="${30 + h - bh}" width="${barW - 4}" height="${bh}" fill="${colors[si % colors.length]}"/>`);
      parts.push(`<text x="${x}" y="${26 + h - bh}" font-size="8">${Math.round(r.ops_per_sec / 1000)}k</text>`);
    });
    parts.push(`<text x="${x0}" y="${h + 46}">${wl}</text>`);
  });
  systems.forEach((s, si) => {
    const y = 40 + si * 16;
    parts.push(`<rect x="${w - 140}" y="${y - 9}" width="10" height="10" fill="${colors[si % colors.length]}"/><text x="${w - 125}" y="${y}">${s}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
