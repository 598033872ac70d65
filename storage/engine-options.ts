import type { Clock } from '../runtime/clock.js';
import type { LsmTuning } from './defaults.js';
import type { CorruptionError } from './errors.js';
import type { FileSystem } from './fs.js';
import type { StorageJobRunner } from './job-runner.js';
import type { Keyspace } from './keyspace.js';
import type { WalRecoveryMode } from './wal-reader.js';
import type { StallStats } from './write-controller.js';

/** The engine's public option and result types. */

export interface EngineOptions extends Partial<LsmTuning> {
  fs: FileSystem;
  dir: string;
  clock?: Clock;
  /** Where flushes and merges run; inline by default (pass a PoolJobRunner in production). */
  jobs?: StorageJobRunner;
  /**
   * false in a Raft group: the Raft log is the WAL. Writes then carry their
   * Raft index and `durableAppliedIndex` says where replay must resume.
   */
  wal?: boolean;
  walRecovery?: WalRecoveryMode;
  /** Run flushes and compactions on their own (tests may turn this off and drive them). */
  autoCompactions?: boolean;
  /** Every corruption found (WAL replay, table blocks, merge inputs) is reported here. */
  onCorruption?: (err: CorruptionError) => void;
}

export interface WriteOptions {
  /** fdatasync the WAL before the write is acknowledged. */
  sync?: boolean;
  /** Raft log index this write applies (stored so recovery can resume after it). */
  appliedIndex?: number;
}

export interface WriteOp {
  keyspace: Keyspace;
  key: Uint8Array;
  /** undefined deletes the key. */
  value?: Uint8Array;
}

export interface Entry {
  key: Buffer;
  value: Buffer;
}

export interface ScanOptions {
  /** Inclusive. */
  start?: Uint8Array;
  /** Exclusive. */
  end?: Uint8Array;
  limit?: number;
}

export interface LevelStats {
  level: number;
  files: number;
  sizeBytes: number;
  targetBytes: number;
}

export interface EngineStats {
  stall: StallStats;
  levels: LevelStats[];
  memtableBytes: number;
  immutableMemtables: number;
  pendingCompactionBytes: number;
  lastSequence: number;
  durableAppliedIndex: number;
  appliedIndex: number;
  flushes: number;
  compactions: number;
  trivialMoves: number;
  compactionBytesRead: number;
  compactionBytesWritten: number;
  flushBytesWritten: number;
  walBytesWritten: number;
  blockCache: { hits: number; misses: number; sizeBytes: number };
  corruptions: number;
  recovery: { walBatchesReplayed: number; walCorruption: string | null; tornWalTail: boolean };
  backgroundError: string | null;
}
