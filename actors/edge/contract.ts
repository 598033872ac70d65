import type { LsmTuning } from '../../storage/defaults.js';
import type { ActorSystem } from '../../runtime/actor-system.js';
import type { FrontDoor } from '../../api/types.js';
import type { TierName, TierSpec } from '../pilot/tier.js';

/**
 * The contract between the edge node (actors/edge) and whatever hosts it
 * (cli/: worker threads of one process, or one process per node, or the
 * simulator in props/). Every node and every gateway runs in its own actor
 * system, named by its id; the host connects the systems (Router, TCP or the
 * simulated network) so that `{ system: <id>, path }` reaches it.
 *
 * Well-known actor paths inside a node's system: see `edgePaths`.
 */
export interface GroupLayout {
  /** e.g. "g1" */
  id: string;
  /** Actor-system names of the group's edge nodes, e.g. ["g1-n1", "g1-n2", "g1-n3"]. */
  members: string[];
  /** Actor-system name of the group's gateway, e.g. "g1-gw". */
  gateway: string;
}

export interface ClusterLayout {
  groups: GroupLayout[];
}

export interface EdgeNodeConfig {
  /** This node's actor-system name (one of some group's members). */
  name: string;
  layout: ClusterLayout;
  /** Where the node keeps its Raft log and its store; created if missing, reused on restart. */
  dataDir: string;
  /** EdgePilot (compaction offloading between the layout's edge nodes); default on, every node at real speed. */
  pilot?: EdgePilotConfig;
  /** LSM engine tuning (RocksDB-style names, storage/defaults.ts); unset: the defaults. Topologies use it for small memtables. */
  lsm?: Partial<LsmTuning>;
}

/**
 * EdgePilot across the cluster (see actors/pilot/README.md). Every node of the
 * layout gets the same value: the election needs every node's capacity.
 */
export interface EdgePilotConfig {
  /** false: the baseline, every merge runs on its own node (no pilot actors). Default true. */
  enabled?: boolean;
  /**
   * false: the baseline with the tiers still emulated (a fair comparison when
   * tiers or `mergeMBps` are set): every merge of a node runs on it, through
   * its emulated tier. Default true: EdgePilot places merges.
   */
  offload?: boolean;
  /**
   * Emulated hardware tier per edge node name (high/medium/low or explicit
   * cores and speed). A node not listed runs at real speed with as many cores
   * as its engine runs merges (plus the one the model leaves to writes).
   */
  tiers?: Record<string, TierName | TierSpec>;
  /**
   * Emulated merge speed of a speedFactor-1 core, MB/s: a merge of N bytes
   * takes N / (mergeMBps × speedFactor) on every node, whatever this host's
   * real speed (see actors/pilot/emulated-tier.ts). Unset: tiers stretch the real merge time.
   */
  mergeMBps?: number;
}

export interface GatewayConfig {
  /** This gateway's actor-system name. */
  name: string;
  layout: ClusterLayout;
  /** Another gateway to join the ring through; none: start a new ring. */
  joinVia?: string;
}

/** One edge node's counters since it started, for topology runs (absent parts: not running here, e.g. no LSM engine or EdgePilot off). */
export interface EdgeNodeMetrics {
  node: string;
  stall?: { totalMs: number; byCauseMs: Record<string, number> };
  compactions?: { local: number; offloaded: number; received: number; fallbacks: number; fallbacksByReason?: Record<string, number> };
  /** Co-located load (emulated busy cores) as last set. */
  loadThreads?: number;
}

/** A running edge node: the API server serves its front door. */
export interface EdgeNodeHandle extends FrontDoor {
  close(): Promise<void>;
  metrics(): Promise<EdgeNodeMetrics>;
  /**
   * Co-located load (the EdgePilot paper's `stress` threads): that many of the
   * node's emulated cores are busy, which its monitor reports and which slows
   * its merges (see actors/pilot/emulated-tier.ts). Ignored without EdgePilot.
   */
  setLoad(threads: number): void;
}

export interface GatewayHandle {
  /** Graceful leave: hands the range over, then stops. */
  leave(): Promise<void>;
  close(): Promise<void>;
}

export type BootEdgeNode = (system: ActorSystem, config: EdgeNodeConfig) => Promise<EdgeNodeHandle>;
export type BootGateway = (system: ActorSystem, config: GatewayConfig) => Promise<GatewayHandle>;

export const edgePaths = {
  raft: 'raft',
  door: 'door',
  gateway: 'gateway',
  /** In a gateway's system: the group agent (routed global requests → the group's Raft; range migration). */
  groupAgent: 'group',
  /** In an edge node's system (EdgePilot): the compaction actor that runs or places the engine's merges and serves other nodes'. */
  compaction: 'compaction',
  /** In an edge node's system (EdgePilot): the monitor reporting the node's free cores and finished merges every second. */
  pilotMonitor: 'pilot-monitor',
  /** In an edge node's system (EdgePilot): a scheduler (the master when this node has the most capacity, a warm standby otherwise). */
  pilotScheduler: 'pilot-scheduler',
} as const;
