/** What the monitor knows of one node, refreshed every second. */
export interface ServerStatus {
  node: string;
  /** Cores not busy with anything (the LSM instance, offloaded merges, co-located load). */
  availableCores: number;
  /** Spare network bandwidth in MB/s. */
  availableBandwidthMBps: number;
  /** Recent merge speed in bytes per ms (higher is faster); 0 while unknown. */
  compactionPerf: number;
}

/**
 * The paper's Algorithm 2 as a sort comparator (negative: `a` first). A node
 * with at most one free core goes behind one with more (offloading there would
 * overload it); then one without spare bandwidth; then the faster merger; then
 * the one with more free cores.
 */
export function compareServerStatus(a: ServerStatus, b: ServerStatus): number {
  if (a.availableCores <= 1 || b.availableCores <= 1) return b.availableCores - a.availableCores;
  if (a.availableBandwidthMBps <= 0 || b.availableBandwidthMBps <= 0) return b.availableBandwidthMBps - a.availableBandwidthMBps;
  if (a.compactionPerf !== b.compactionPerf) return b.compactionPerf - a.compactionPerf;
  return b.availableCores - a.availableCores;
}

/** Can this node take an offloaded merge without overloading (Algorithm 2, lines 2–8)? */
export function canTakeOffload(s: ServerStatus): boolean {
  return s.availableCores > 1 && s.availableBandwidthMBps > 0;
}
