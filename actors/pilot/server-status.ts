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

/**
 * Can this node take an offloaded merge without overloading? The paper's
 * text for Algorithm 2: "it checks if there is at least one available core"
 * (a merge takes one; the write path's core is already not counted as
 * available) and spare bandwidth. A node with exactly one free core still
 * sorts behind those with more (lines 2–4); the target admits on the same
 * rule (`admitRemote`: at least one free core after what it already holds).
 */
export function canTakeOffload(s: ServerStatus): boolean {
  return s.availableCores >= 1 && s.availableBandwidthMBps > 0;
}
