import type { CompactionJobInput, CompactionJobOutput } from '../../storage/compaction-job.js';

export type CompactionRequest =
  /** From this node's engine: run a merge wherever placement says, install nothing. */
  | { type: 'compact'; input: CompactionJobInput }
  /** From another node's compaction actor: run this merge here, locally. */
  | { type: 'run-job'; input: CompactionJobInput; owner?: string }
  | { type: 'stats' };

export type FallbackReason = 'timeout' | 'error' | 'corrupt' | 'busy';

export interface PredictionSample {
  /** Where the merge was meant to run (owner name for local). */
  ranOn: string;
  inputBytes: number;
  predictedMs: number;
  actualMs: number;
}

export interface CompactionStats {
  localJobs: number;
  remoteJobs: number;
  /** Remote jobs that failed or timed out and were redone locally. */
  remoteFallbacks: number;
  fallbacksByReason: Record<FallbackReason, number>;
  /** Jobs run here for other nodes. */
  servedForOthers: number;
  /** Jobs from other nodes refused because no core was free. */
  rejectedBusy: number;
  inputBytes: number;
  outputBytes: number;
  /** Bytes this node shipped to others (inputs) and got back (outputs). */
  bytesSent: number;
  bytesReceived: number;
  /** The latest model predictions next to what happened (bounded). */
  predictions: PredictionSample[];
}

export type CompactionReply =
  | {
      ok: true;
      type: 'output';
      output: CompactionJobOutput;
      ranOn: string;
      /** Merge time where it ran (emulated tier time when the runner emulates one). */
      computeMs?: number;
      /** Time the job queued where it ran before its merge started. */
      waitMs?: number;
      /** CRC-32 of each output table, computed where the merge ran. */
      checksums?: number[];
    }
  | { ok: true; type: 'stats'; stats: CompactionStats }
  | { ok: false; code: string; message: string };
