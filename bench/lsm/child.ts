// One system running one workload in its own process, so peak memory is its own.
// Usage: child.ts <edgekv|classic-level> <workload> <params json> <dir>
import { runClassic } from './classic.js';
import { runEdgekv } from './edgekv.js';
import type { LsmBenchParams, Workload } from './workload.js';

const [system, workload, paramsJson, dir] = process.argv.slice(2) as [string, Workload, string, string];
const params = JSON.parse(paramsJson) as LsmBenchParams;
const result = system === 'edgekv' ? await runEdgekv(workload, params, dir) : await runClassic(workload, params, dir);
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(`CHILD ${JSON.stringify({ ...result, peak_rss_mb: peakRssMb })}\n`);
