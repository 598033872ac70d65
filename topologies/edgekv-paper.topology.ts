// The EdgeKV paper's experiment (Sonbol et al., ../shared/papers): 3 groups ×
// 3 edge nodes + 3 gateways, YCSB with 10,000 records, zipfian, half the
// operations local, run in the paper's two latency settings side by side:
//   edge:  client↔node 2.5 ms, node↔node 1 ms, gateway↔gateway 5 ms (one way)
//   cloud: client↔node 25 ms, 0.03 ms inside the data center
// The paper reports, at the edge, writes 26% faster and 19% more throughput,
// and throughput growing near-linearly with the client count.
import { defineTopology } from './schema.js';

export default defineTopology({
  name: 'edgekv-paper',
  description: 'EdgeKV paper: edge vs cloud latency settings, YCSB A–D, 1–100 clients',
  placement: 'process',
  groups: [
    { id: 'g1', nodes: ['g1-n1', 'g1-n2', 'g1-n3'] },
    { id: 'g2', nodes: ['g2-n1', 'g2-n2', 'g2-n3'] },
    { id: 'g3', nodes: ['g3-n1', 'g3-n2', 'g3-n3'] },
  ],
  variants: {
    edge: {
      links: [
        { between: ['*', '*'], latencyMs: 1 },
        { between: ['gateway', 'gateway'], latencyMs: 5 },
        { between: ['client', '*'], latencyMs: 2.5 },
      ],
    },
    cloud: {
      links: [
        { between: ['*', '*'], latencyMs: 0.03 },
        { between: ['client', '*'], latencyMs: 25 },
      ],
    },
  },
  workload: {
    kind: 'ycsb',
    workload: ['A', 'B', 'C', 'D'],
    records: 10_000,
    clients: [1, 10, 25, 50, 100],
    duration: '10s',
    globalShare: 0.5,
  },
});
