// YCSB's core workloads (workloads/workloada..f in the YCSB distribution).
export type OpType = 'read' | 'update' | 'insert' | 'scan' | 'read-modify-write';
export type Distribution = 'zipfian' | 'latest';

export interface Workload {
  name: string;
  description: string;
  mix: Partial<Record<OpType, number>>;
  distribution: Distribution;
}

export const coreWorkloads: Record<string, Workload> = {
  A: { name: 'A', description: 'update heavy: 50% read, 50% update', mix: { read: 0.5, update: 0.5 }, distribution: 'zipfian' },
  B: { name: 'B', description: 'read mostly: 95% read, 5% update', mix: { read: 0.95, update: 0.05 }, distribution: 'zipfian' },
  C: { name: 'C', description: 'read only', mix: { read: 1 }, distribution: 'zipfian' },
  D: { name: 'D', description: 'read latest: 95% read, 5% insert, recent keys hot', mix: { read: 0.95, insert: 0.05 }, distribution: 'latest' },
  E: { name: 'E', description: 'short ranges: 95% scan (1..100 keys), 5% insert', mix: { scan: 0.95, insert: 0.05 }, distribution: 'zipfian' },
  F: { name: 'F', description: 'read-modify-write: 50% read, 50% read-modify-write', mix: { read: 0.5, 'read-modify-write': 0.5 }, distribution: 'zipfian' },
};

/** YCSB's maxscanlength default; scan lengths are uniform in 1..this. */
export const maxScanLength = 100;

export function pickOp(workload: Workload, u: number): OpType {
  let acc = 0;
  const entries = Object.entries(workload.mix) as Array<[OpType, number]>;
  for (const [op, share] of entries) {
    acc += share;
    if (u < acc) return op;
  }
  return entries[entries.length - 1]![0];
}

/** YCSB key names: "user" + the scrambled key number, so inserts in key order do not land in key order. */
export function keyName(n: number, scrambled: (n: number) => bigint): string {
  return `user${scrambled(n).toString().padStart(20, '0')}`;
}
