// The EdgePilot paper's main experiment (figures 8 and 9): three nodes of
// different tiers (high, medium, low; emulated on this host: the tier sets a
// node's merge parallelism and speed, see DESIGN.md), each its own group,
// writing fillrandom, run twice: merges only on their own node (baseline) and
// with EdgePilot offloading them. Small write buffers and L0 triggers and a
// slow emulated merge speed make the weak tiers' merges the bottleneck within
// a minute, as in bench/edgepilot.
import { defineTopology } from './schema.js';

const kib = 1024;

export default defineTopology({
  name: 'edgepilot-tiers',
  description: 'EdgePilot: high/medium/low tiers, fillrandom, baseline vs EdgePilot (tiers emulated)',
  placement: 'process',
  groups: [
    { id: 'gh', nodes: [{ name: 'high', tier: 'high' }] },
    { id: 'gm', nodes: [{ name: 'medium', tier: 'medium' }] },
    { id: 'gl', nodes: [{ name: 'low', tier: 'low' }] },
  ],
  storage: {
    writeBufferSizeBytes: 256 * kib,
    level0FileNumCompactionTrigger: 2,
    level0SlowdownWritesTrigger: 4,
    level0StopWritesTrigger: 8,
    maxBytesForLevelBaseBytes: 2048 * kib,
    targetFileSizeBaseBytes: 256 * kib,
    maxBackgroundCompactions: 2,
    mergeMBps: 0.25,
  },
  variants: {
    baseline: { pilot: false },
    edgepilot: { pilot: true },
  },
  workload: { kind: 'fillrandom', clients: 24, duration: '60s', globalShare: 0, valueBytes: 400, keys: 1_000_000 },
});
