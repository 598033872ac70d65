import { compactionTransferDefaults } from '../compaction/defaults.js';
import type { Line } from './linear-regression.js';

/**
 * EdgePilot defaults, each with its reason. Times in ms, sizes in bytes.
 */
export const pilotDefaults = {
  /** The paper's monitor period (Algorithm 1, "every 1 second"). */
  monitorPeriodMs: 1000,
  /**
   * Prior for merge compute time before a node has samples: ~40 MB/s, what the
   * project's single-threaded merge of 100-byte values does on one core of the
   * 2-core reference machine (bench/lsm), plus a small fixed cost per job.
   * A node's tier speed factor divides the slope (a 2× slower tier: twice the ms).
   */
  computePrior: { intercept: 2, slope: 1 / 40_000 } satisfies Line as Line,
  /** Prior for reading inputs and writing outputs on local storage: ~400 MB/s page-cache-warm SSD. */
  localTransferPrior: { intercept: 0.5, slope: 1 / 400_000 } satisfies Line as Line,
  /** Prior for shipping inputs and outputs over the network: ~100 MB/s plus a round trip. */
  networkTransferPrior: { intercept: 2, slope: 1 / 100_000 } satisfies Line as Line,
  /** Weight kept by old samples per new one: ~50 compactions of memory, so a load change shows within a minute of writes. */
  regressionDecay: 0.98,
  /** Samples before the fit starts to replace the prior. */
  minSamples: 5,
  /** How long a status report stays valid; a node silent for longer is treated as gone. */
  statusTtlMs: 3000,
} as const;

/** Scheduling and failover timings of the EdgePilot actors (ms). */
export const pilotTimings = {
  /** A placement question to a scheduler not answered in this time goes to the next candidate: merges must never wait long for a decision. */
  placeTimeoutMs: 250,
  /** A scheduler that did not answer is skipped for this long before it is asked again. */
  suspectMs: 5000,
  /** Remote deadline = factor × predicted offloaded time + slack: generous enough for noise, short enough that a dead target costs little. */
  deadlineFactor: 4,
  deadlineSlackMs: 2000,
  /** Spare bandwidth reported by a node whose link is idle: the paper's 10 Gbps, in MB/s. */
  linkBandwidthMBps: 1250,
  /**
   * Largest merge (input bytes) offered to another node. Inputs and outputs
   * travel in 1 MiB chunks (actors/compaction/chunked-transfer.ts), so the TCP
   * frame limit no longer bounds it; a target reserves twice a job's input
   * bytes (inputs, then outputs until fetched) within its bound
   * (`compactionTransferDefaults.maxHeldForOthersBytes`: an eighth of memory,
   * 64 MiB to 1 GiB), so a larger merge could never be accepted: half of it.
   */
  maxOffloadBytes: compactionTransferDefaults.maxHeldForOthersBytes / 2,
} as const;

/** EdgePilot inside an edge node (actors/edge/boot.ts). */
export const pilotEdgeDefaults = {
  /**
   * A node without a configured tier runs at real speed with this many cores
   * beyond its engine's merge concurrency: the model (EmulatedTier, the
   * monitor) keeps one core for the LSM write path, so cores = merge
   * concurrency alone would report no free core ever and take no merge.
   */
  writePathCores: 1,
  /** Name of the default tier in reports and status. */
  defaultTierName: 'host',
} as const;
