// The topology file format: what a user writes in `topologies/*.topology.ts`.
// A topology names the hosts (edge nodes in groups, one gateway per group),
// where each runs and on which emulated tier, the links between them, a
// timeline of faults and load changes, and the workload to drive. See
// topologies/README.md for the format in prose and validate.ts for the rules.
import type { TierName } from '../actors/pilot/tier.js';

/** A worker thread of the `edgekv run`/`up` process, or a child process of its own (TCP between processes). */
export type Placement = 'thread' | 'process';

/** An emulated hardware tier: high/medium/low (the EdgePilot paper's Table I) or explicit cores and merge speed (1 = this host). */
export type TierSetting = TierName | { cores: number; speedFactor: number };

export interface NodeSpec {
  name: string;
  placement?: Placement;
  tier?: TierSetting;
}

export interface GroupSpec {
  /** Group id, e.g. `g1`. */
  id: string;
  /** The group's edge nodes (a Raft group): names, or specs with a placement and tier. */
  nodes: Array<string | NodeSpec>;
  /** The group's gateway on the ring; default `<id>-gw`. */
  gateway?: string | { name: string; placement?: Placement };
}

/**
 * Who a link rule applies to: `*` (every host and the clients), `client` (the
 * workload's clients), `edge` (every edge node), `gateway` (every gateway),
 * `group:<id>` (a group's nodes and its gateway), or one host's name.
 */
export type Selector = string;

/** What a directed link does to every message on it, like Linux netem + tbf. */
export interface LinkProperties {
  /** One-way delay added to every message. */
  latencyMs?: number;
  /** Uniform extra delay in [0, jitterMs); order on a link is kept (like TCP). */
  jitterMs?: number;
  /** Link capacity; messages queue behind each other. Unset: unlimited. */
  bandwidthMbps?: number;
  /** Probability that a message is dropped, 0..1. */
  loss?: number;
}

/**
 * A rule for the links between two sets of hosts. `between: [a, b]` covers
 * both directions; `from`/`to` one direction. Every directed link takes its
 * properties from the last rule that matches it (later rules override
 * earlier ones, field by field); a link no rule matches is unshaped.
 */
export type LinkRule = LinkProperties & ({ between: [Selector, Selector] } | { from: Selector; to: Selector });

/** Seconds since the workload started, or a string with a unit: `"90s"`, `"2m"`, `"1500ms"`. */
export type TimeSpec = number | string;

/**
 * The timeline: what happens, and when. Crash is SIGKILL for a process and an
 * abrupt terminate for a thread; a crashed host stays down until a `restart`.
 * A gateway whose first event is `gateway-join` is not on the ring at the start.
 */
export type TimelineEvent = { at: TimeSpec; label?: string } & (
  | { do: 'crash'; node: string }
  | { do: 'restart'; node: string }
  /** Cuts every link between the sides (both directions); hosts in no side keep all their links. */
  | { do: 'partition'; sides: Selector[][] }
  | { do: 'heal' }
  /** Changes link properties from now on (a rule as in `links`). */
  | ({ do: 'link' } & LinkRule)
  | { do: 'gateway-join'; gateway: string }
  | { do: 'gateway-leave'; gateway: string }
  /** Co-located load on an edge node (the paper's `stress` threads): that many busy cores. */
  | { do: 'load'; node: string; threads: number }
);

export type YcsbName = 'A' | 'B' | 'C' | 'D' | 'E' | 'F';

interface WorkloadCommon {
  /** How long each phase runs. */
  duration: TimeSpec;
  /** Concurrent clients; a list runs one phase per count (a sweep). */
  clients: number | number[];
  /** Share of operations in the global scope, 0..1 (default 0.5, as in the EdgeKV paper). */
  globalShare?: number;
  /** Value size in bytes (default 100). */
  valueBytes?: number;
}

export type WorkloadSpec = WorkloadCommon &
  (
    | {
        kind: 'ycsb';
        /** One workload, or several run one after another (each with every client count). */
        workload: YcsbName | YcsbName[];
        /** Records loaded before the first phase (default 10,000, as in the EdgeKV paper). */
        records?: number;
      }
    | {
        /** db_bench-style: random puts; reads of written keys while writing; and a get/put/seek mix. */
        kind: 'fillrandom' | 'readwhilewriting' | 'mixgraph';
        /** Size of the key space (default 100,000). */
        keys?: number;
      }
  );

/**
 * LSM tuning with RocksDB's option names (storage/defaults.ts has the
 * defaults). Small write buffers make merges come quickly in a short run.
 */
export interface StorageSpec {
  writeBufferSizeBytes?: number;
  level0FileNumCompactionTrigger?: number;
  level0SlowdownWritesTrigger?: number;
  level0StopWritesTrigger?: number;
  maxBytesForLevelBaseBytes?: number;
  targetFileSizeBaseBytes?: number;
  maxBackgroundCompactions?: number;
  /** Emulated merge speed of a speedFactor-1 core in MB/s (tiers scale it); unset: tiers stretch the real merge time. */
  mergeMBps?: number;
}

/** A named change to the topology run in the same invocation (e.g. `edge` and `cloud` links, or EdgePilot on and off). */
export interface VariantSpec {
  /** Replaces the topology's link rules. */
  links?: LinkRule[];
  /** Replaces the topology's EdgePilot switch. */
  pilot?: boolean;
  /** Tiers by node name, on top of the nodes' own. */
  tiers?: Record<string, TierSetting>;
}

export interface Topology {
  /** Lower-case letters, digits and dashes: names the results directory. */
  name: string;
  description?: string;
  /** Default placement of every host (default `process`). */
  placement?: Placement;
  groups: GroupSpec[];
  links?: LinkRule[];
  /** EdgePilot compaction offloading (default true). */
  pilot?: boolean;
  timeline?: TimelineEvent[];
  workload?: WorkloadSpec;
  /** Run the whole topology once per variant, in order, on a fresh cluster each; the summary compares them with the first. */
  variants?: Record<string, VariantSpec>;
  /** Every edge node's LSM engine and merge speed (real runs; the simulator keeps data in memory). */
  storage?: StorageSpec;
  /** Seed of the workload's and the simulator's randomness (default 1). */
  seed?: number;
  /** Ports for the real run (defaults as `edgekv up`). */
  ports?: { base?: number; internal?: number };
}

/** Typed identity: lets the editor check a topology file as it is written. `edgekv run` validates it again. */
export function defineTopology<T extends Topology>(topology: T): T {
  return topology;
}
