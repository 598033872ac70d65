// The EdgePilot paper's co-located load experiment (figure 11): the three
// tiers of edgepilot-tiers while the high node's co-located load (the paper's
// `stress` threads, here emulated busy cores) goes 0 → 8 threads in steps.
// As the high node fills up, EDGECODE stops offloading to it.
import edgepilotTiers from './edgepilot-tiers.topology.js';
import { defineTopology } from './schema.js';

export default defineTopology({
  ...edgepilotTiers,
  name: 'edgepilot-load-ramp',
  description: 'EdgePilot: co-located load on the high node ramps 0→8 threads, baseline vs EdgePilot (tiers emulated)',
  timeline: [2, 4, 6, 8].map((threads, i) => ({ at: `${(i + 1) * 15}s`, do: 'load' as const, node: 'high', threads })),
  workload: { kind: 'fillrandom', clients: 24, duration: '75s', globalShare: 0, valueBytes: 400, keys: 1_000_000 },
});
