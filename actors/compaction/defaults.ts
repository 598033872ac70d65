import { totalmem } from 'node:os';

const MiB = 1024 * 1024;

/**
 * Chunked transfer of remote merges (actors/compaction/chunked-transfer.ts).
 * Sizes in bytes, times in ms.
 */
export const compactionTransferDefaults = {
  /**
   * Table data per message: 1 MiB, a quarter of the TCP transport's 4 MiB frame
   * limit (runtime/defaults.ts `maxFrameBytes`), leaving room for the envelope,
   * and large enough that per-message costs vanish next to the bytes.
   */
  chunkBytes: 1 * MiB,
  /** Unacknowledged chunks per job (each direction): 4 MiB in flight, enough to keep a LAN link busy, bounded for the target's mailbox and memory. */
  window: 4,
  /**
   * An offer, chunk or fetch not answered in 1 s is sent again: links lose
   * messages (emulated loss, a TCP reconnect drops what was in flight), and
   * one lost message should not cost the whole remote merge. A 1 MiB chunk
   * takes ~0.1 s at the 10 MB/s we wait for (`minTransferBytesPerMs`), so an
   * answer later than 1 s is lost or behind a wedged target, not slow.
   */
  attemptTimeoutMs: 1000,
  /**
   * Re-sends per message before the attempt fails (and the merge is redone
   * locally): three, so a link losing 10% of messages fails a given message
   * (it or its answer lost four times in a row, ~0.2⁴) about once in 600;
   * also the consecutive unanswered `merge` messages tolerated.
   */
  retries: 3,
  /**
   * A message unanswered this long, re-sends included, means the target is
   * dead or wedged, even inside the job's deadline: at most
   * `⌊chunkTimeoutMs / attemptTimeoutMs⌋` sends (5; `retries` allows 4, so
   * with the defaults a dead target costs 4 s per message). Also the margin a
   * target keeps a job past the owner's deadline (its time to live).
   */
  chunkTimeoutMs: 5000,
  /**
   * The remote deadline is the model's (placement) plus the time to move the
   * inputs and the outputs (about as large) at this slowest rate we wait for:
   * 10 MB/s, a tenth of the network model's prior.
   */
  minTransferBytesPerMs: 10_000,
  /**
   * Bytes a node holds at once for other nodes' merges (inputs while they
   * arrive, outputs until fetched; a job reserves twice its input size): an
   * eighth of the machine's memory, at least 64 MiB and at most 1 GiB. An offer
   * that would go over is refused (the owner merges locally).
   */
  maxHeldForOthersBytes: Math.min(1024 * MiB, Math.max(64 * MiB, Math.floor(totalmem() / 8))),
} as const;
