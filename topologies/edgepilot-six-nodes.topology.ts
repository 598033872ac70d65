// The EdgePilot paper's scalability run (figure 12): six nodes, two of each
// tier, each its own group, fillrandom, baseline vs EdgePilot. Same storage
// settings as edgepilot-tiers.
import edgepilotTiers from './edgepilot-tiers.topology.js';
import { defineTopology } from './schema.js';

export default defineTopology({
  ...edgepilotTiers,
  name: 'edgepilot-six-nodes',
  description: 'EdgePilot: six nodes (2 high, 2 medium, 2 low), fillrandom, baseline vs EdgePilot (tiers emulated)',
  groups: (['high', 'medium', 'low'] as const).flatMap((tier) =>
    [1, 2].map((i) => ({ id: `g-${tier}-${i}`, nodes: [{ name: `${tier}-${i}`, tier }] })),
  ),
  workload: { kind: 'fillrandom', clients: 36, duration: '60s', globalShare: 0, valueBytes: 400, keys: 1_000_000 },
});
