// The default single-host cluster, as `npm start` / `edgekv up` starts it:
// 3 groups × 3 edge nodes + 3 gateways, each in its own process, links as
// fast as loopback. The workload is a short YCSB A to see it work.
import { defineTopology } from './schema.js';

export default defineTopology({
  name: 'default',
  description: '3 groups × 3 edge nodes + 3 gateways on one host, unshaped links, YCSB A for 20 s',
  placement: 'process',
  groups: [
    { id: 'g1', nodes: ['g1-n1', 'g1-n2', 'g1-n3'] },
    { id: 'g2', nodes: ['g2-n1', 'g2-n2', 'g2-n3'] },
    { id: 'g3', nodes: ['g3-n1', 'g3-n2', 'g3-n3'] },
  ],
  workload: { kind: 'ycsb', workload: 'A', records: 1000, clients: 8, duration: '20s', globalShare: 0.5 },
});
