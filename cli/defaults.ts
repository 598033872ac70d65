/**
 * Defaults of the `edgekv` command and its cluster host, each with its reason.
 * Flags override them (`edgekv up --help`).
 */
export const cliDefaults = {
  /** The EdgeKV paper's evaluation setting: 3 groups × 3 edge nodes, one gateway per group. */
  groups: 3,
  /** Three voters tolerate one failure per group, the smallest Raft group that does. */
  nodesPerGroup: 3,
  /** Relative to where the command runs, so `npm start` in the checkout keeps its data beside it. */
  dataDir: './data',
  /** First gRPC port; edge node i (counting across groups) serves on basePort + i. Clear of etcd's 2379/2380 and of common dev ports. */
  basePort: 7001,
  /** Internal (node-to-node TCP) ports start this far above the gRPC base, so the two ranges stay apart for up to 100 edge nodes. */
  internalPortOffset: 100,
  /** Loopback only: a single-host cluster is a development setup, not something to expose. */
  host: '127.0.0.1',
  /** Processes: one crash takes down one node, as in a real deployment; threads share one process. */
  mode: 'processes' as const,
  /** Host logs go to stderr as JSON lines; at `info` a 12-host cluster drowns what `up` prints for people. */
  hostLogLevel: 'warn' as const,
  /** Booting lmdb, Raft and the ring takes seconds on a loaded 2-core machine; past this a host is reported as failed. */
  hostStartTimeoutMs: 60_000,
  /** After every host is up: how long `up` waits for every group to elect a leader and every gateway to join the ring. */
  readyTimeoutMs: 60_000,
  /** How often `up` asks for the cluster's status while it waits for readiness. */
  readyPollMs: 250,
  /** One readiness probe: a node still electing answers within this or is asked again at the next poll. */
  readyProbeTimeoutMs: 2_000,
  /** A host that does not stop within this after being asked is killed (its Raft log is durable anyway). */
  hostStopTimeoutMs: 8_000,
  /** Grace for in-flight gRPC calls when a node stops. */
  apiCloseGraceMs: 1_000,
  /** Supervisor (OTP one_for_one): a crashed host is restarted after this delay... */
  restartDelayMs: 500,
  /** ...at most this many times... */
  maxRestarts: 5,
  /** ...within this window; past the budget it stays down and `up` says so. */
  restartWindowMs: 60_000,
  /** A client command waits this long overall (retries and failover included). */
  clientTimeoutMs: 10_000,
  /** `edgekv status` asks every endpoint; a node that has not answered in this long is shown as down. */
  statusProbeTimeoutMs: 1_500,
  /** Size of the cluster secret in bytes (HMAC-SHA256 key: 32 bytes is its block-size-safe full strength). */
  secretBytes: 32,
} as const;

/** Files `up` keeps in the data directory. */
export const dataFiles = {
  /** The layout and ports, written on first `up`; clients read their endpoints from it. */
  cluster: 'cluster.json',
  /** The cluster secret for TCP between processes (mode 0600). */
  secret: 'cluster.secret',
  /** Present while `up` runs: its pid and the pid of every host process. */
  run: 'run.json',
} as const;
