import type { CompactionRecord, OffloadDecision } from './edgecode.js';
import type { ServerStatus } from './server-status.js';

/** What a node's monitor sends every period (Algorithm 1's inputs). */
export interface NodeReport {
  node: string;
  cores: number;
  speedFactor: number;
  /** Emulated merge speed of one of its cores in bytes per ms, when the tier sets an absolute speed (EmulatedTier's reference × speedFactor). */
  mergeBytesPerMs?: number;
  availableCores: number;
  /**
   * Of the merges counted against availableCores, those run for other nodes.
   * The scheduler replaces them by its own reservations (each offload it
   * placed, until its predicted end): a report is up to a period old, and a
   * received merge usually ends well within it.
   */
  runningForOthers?: number;
  availableBandwidthMBps: number;
  /** Busy share of the node's cores in percent, co-located work included. */
  loadPercent: number;
  loadThreads: number;
  /** Compactions finished since the previous report. */
  records: CompactionRecord[];
}

export type SchedulerMessage =
  | { type: 'report'; report: NodeReport }
  /** A node's compaction was triggered: where should it run? */
  | { type: 'place'; owner: string; sizeBytes: number }
  | { type: 'view' };

export type PlaceReply =
  | { type: 'placement'; target: 'local'; scheduler: string; decision?: OffloadDecision }
  | { type: 'placement'; target: string; scheduler: string; decision: OffloadDecision };

export interface SchedulerView {
  type: 'view';
  scheduler: string;
  /** Live nodes, best first (Algorithm 2). */
  queue: ServerStatus[];
  /**
   * Answers given; `noCandidate`: local because no node could take an offload;
   * `pastHead`: offloads to a candidate behind the queue's head (the head would not have beaten local).
   */
  decisions: { local: number; offload: number; noCandidate: number; pastHead: number };
}
