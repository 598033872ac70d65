// What a topology run records: one JSON object per line in
// `results/<name>/<timestamp>/samples.jsonl`, the same for a real run and a
// simulated one. The summary and the plots are computed from these alone.

/** Operation types a workload issues (YCSB's names plus db_bench's). */
export type OpName = 'read' | 'update' | 'insert' | 'scan' | 'read-modify-write' | 'put' | 'get' | 'seek';

export interface LatencyStats {
  count: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

/** Once per run (a topology with variants has one per variant). */
export interface MetaRecord {
  type: 'meta';
  topology: string;
  variant: string;
  mode: 'real' | 'simulated';
  startedAt: string;
  seed: number;
  /** Hosts with their group, role, placement and tier; tiers are emulated on one host (DESIGN.md). */
  hosts: Array<{ name: string; group: string; role: 'edge' | 'gateway'; placement: 'thread' | 'process'; tier?: string }>;
  tiersEmulated: boolean;
  machine: { nproc: number; node: string; platform: string };
}

/** One second of the workload, cluster-wide. `t` is seconds since the workload started (virtual seconds when simulated). */
export interface TickRecord {
  type: 'tick';
  variant: string;
  phase: string;
  t: number;
  opsPerSec: number;
  errorsPerSec: number;
  byOp: Partial<Record<OpName, LatencyStats>>;
}

/** One edge node, once a second: cumulative counters since it started (absent fields: the node did not answer). */
export interface NodeRecord {
  type: 'node';
  variant: string;
  t: number;
  node: string;
  up: boolean;
  stallMs?: number;
  stallByCause?: Record<string, number>;
  compactions?: { local: number; offloaded: number; received: number; fallbacks: number; fallbacksByReason?: Record<string, number> };
  loadThreads?: number;
}

/** A timeline event as it was applied. */
export interface EventRecord {
  type: 'event';
  variant: string;
  t: number;
  event: string;
  detail: string;
  ok: boolean;
  error?: string;
}

/** The end of a phase (one workload at one client count). */
export interface PhaseRecord {
  type: 'phase';
  variant: string;
  phase: string;
  workload: string;
  clients: number;
  startT: number;
  endT: number;
  ops: number;
  opsPerSec: number;
  errors: number;
  byOp: Partial<Record<OpName, LatencyStats>>;
  /** Per group, the operations of that group's clients (a group's clients talk to its nodes): per-node throughput when groups have one node. */
  byGroup?: Record<string, { ops: number; opsPerSec: number; errors: number }>;
  firstError?: string;
}

export type RunRecord = MetaRecord | TickRecord | NodeRecord | EventRecord | PhaseRecord;
