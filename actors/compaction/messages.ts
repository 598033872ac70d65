import type { CompactionJobInput, CompactionJobOutput } from '../../storage/compaction-job.js';

export type CompactionRequest =
  /** From this node's engine: run a merge wherever placement says, install nothing. */
  | { type: 'compact'; input: CompactionJobInput }
  /** From another node's compaction actor: run this merge here, locally. */
  | { type: 'run-job'; input: CompactionJobInput }
  | { type: 'stats' };

export interface CompactionStats {
  localJobs: number;
  remoteJobs: number;
  /** Remote jobs that failed or timed out and were redone locally. */
  remoteFallbacks: number;
  /** Jobs run here for other nodes. */
  servedForOthers: number;
  inputBytes: number;
  outputBytes: number;
}

export type CompactionReply =
  | { ok: true; type: 'output'; output: CompactionJobOutput; ranOn: string }
  | { ok: true; type: 'stats'; stats: CompactionStats }
  | { ok: false; code: string; message: string };
