// Faults while a workload runs: a follower is cut off from its group and
// healed, a gateway is partitioned from the ring and healed, and a node is
// killed and brought back. Watch throughput dip and recover in throughput.svg;
// every operation that failed is counted as an error, none is lost.
import { defineTopology } from './schema.js';

export default defineTopology({
  name: 'partition-heal',
  description: 'YCSB A through a follower partition, a gateway partition and a crash/restart, each healed',
  placement: 'process',
  groups: [
    { id: 'g1', nodes: ['g1-n1', 'g1-n2', 'g1-n3'] },
    { id: 'g2', nodes: ['g2-n1', 'g2-n2', 'g2-n3'] },
    { id: 'g3', nodes: ['g3-n1', 'g3-n2', 'g3-n3'] },
  ],
  links: [{ between: ['*', '*'], latencyMs: 1, jitterMs: 0.5 }],
  timeline: [
    { at: '10s', do: 'partition', sides: [['g1-n3'], ['g1-n1', 'g1-n2', 'g1-gw']], label: 'g1-n3 cut off' },
    { at: '20s', do: 'heal', label: 'heal' },
    { at: '30s', do: 'partition', sides: [['g2-gw'], ['g1-gw', 'g3-gw']], label: 'g2-gw off the ring' },
    { at: '40s', do: 'heal', label: 'heal' },
    { at: '50s', do: 'crash', node: 'g3-n1' },
    { at: '60s', do: 'restart', node: 'g3-n1' },
  ],
  workload: { kind: 'ycsb', workload: 'A', records: 2000, clients: 16, duration: '75s', globalShare: 0.5 },
});
