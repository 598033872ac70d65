/**
 * Every tunable number of the LSM engine, with the reason beside it. RocksDB's
 * defaults are the model; the sizes are scaled down for edge nodes (a few GB of
 * RAM, a small SSD, 2-4 cores) while keeping RocksDB's ratios between them.
 */
export const LSM_DEFAULTS = {
  /** RocksDB write_buffer_size is 64 MiB; edge nodes have ~1/4 the RAM of a server. */
  writeBufferSizeBytes: 16 * 1024 * 1024,
  /**
   * RocksDB max_write_buffer_number = 2: one mutable plus one being flushed.
   * Reaching it stops writes (the "memtable limit" stall).
   */
  maxWriteBufferNumber: 2,
  /** RocksDB level0_file_num_compaction_trigger. */
  level0FileNumCompactionTrigger: 4,
  /** RocksDB level0_slowdown_writes_trigger. */
  level0SlowdownWritesTrigger: 20,
  /** RocksDB level0_stop_writes_trigger. */
  level0StopWritesTrigger: 36,
  /** RocksDB max_bytes_for_level_base is 256 MiB; scaled 1/4 like the write buffer. */
  maxBytesForLevelBaseBytes: 64 * 1024 * 1024,
  /** RocksDB max_bytes_for_level_multiplier. */
  maxBytesForLevelMultiplier: 10,
  /** RocksDB target_file_size_base is 64 MiB; 1/4 for quicker, smaller compactions on edge CPUs. */
  targetFileSizeBaseBytes: 16 * 1024 * 1024,
  /** RocksDB target_file_size_multiplier. */
  targetFileSizeMultiplier: 1,
  /** RocksDB max_compaction_bytes = 25 x target_file_size_base. */
  maxCompactionBytesFactor: 25,
  /** RocksDB soft_pending_compaction_bytes_limit is 64 GiB; edge disks are ~1/4 to 1/16 of a server's. */
  softPendingCompactionBytesLimit: 16 * 1024 * 1024 * 1024,
  /** RocksDB hard_pending_compaction_bytes_limit is 256 GiB; same scaling as the soft limit. */
  hardPendingCompactionBytesLimit: 64 * 1024 * 1024 * 1024,
  /** RocksDB num_levels. */
  numLevels: 7,
  /** RocksDB delayed_write_rate default when no rate limiter is set: 16 MiB/s. */
  delayedWriteRateBytesPerSec: 16 * 1024 * 1024,
  /** RocksDB never lets the delayed rate fall below this (kMinWriteRate is 16 KiB/s). */
  minDelayedWriteRateBytesPerSec: 16 * 1024,
  /** RocksDB WriteController: each step of growing debt multiplies the delay rate by 0.8. */
  slowdownRateDecreaseRatio: 0.8,
  /** RocksDB's delayed writes sleep in slices of 1 ms (kMicrosPerRefill). */
  delayRefillIntervalMs: 1,
  /** RocksDB max_background_compactions (edge: 1 so compactions leave a core to the node). */
  maxBackgroundCompactions: 1,

  /** RocksDB/LevelDB block_size: 4 KiB matches the page size and an SSD read. */
  blockSizeBytes: 4 * 1024,
  /** LevelDB block_restart_interval: a full key every 16 entries bounds the linear scan. */
  blockRestartInterval: 16,
  /** RocksDB's usual bloom setting: 10 bits per key gives ~1% false positives. */
  bloomBitsPerKey: 10,
  /** LevelDB block cache default 8 MiB; same for edge (the OS page cache does the rest). */
  blockCacheSizeBytes: 8 * 1024 * 1024,
  /** Open SSTable readers kept (RocksDB max_open_files is unbounded; edge nodes cap fds). */
  tableCacheCapacity: 1000,

  /** LevelDB/RocksDB WAL block size; records never need to align to it here, but buffers flush at it. */
  walBufferBytes: 64 * 1024,
  /** A new manifest is started (compacting the edit log) past this size; RocksDB max_manifest_file_size is 1 GiB, edge: 4 MiB. */
  maxManifestFileSizeBytes: 4 * 1024 * 1024,

  /** Per-key and per-value caps so a bad request cannot blow the memtable (EdgeKV API limits). */
  maxKeySizeBytes: 64 * 1024,
  maxValueSizeBytes: 16 * 1024 * 1024,

  /** Bytes charged per memtable entry beyond key and value (node object, arrays): measured V8 overhead, rounded. */
  memtableEntryOverheadBytes: 80,

  /** Export/import of the global keyspace moves data in chunks of about this size. */
  exportChunkBytes: 1024 * 1024,
} as const;

export type LsmTuning = { -readonly [K in keyof typeof LSM_DEFAULTS]: number };
