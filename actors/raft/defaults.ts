/**
 * Tunables of the Raft core, each with the reason for its value. A tick is
 * whatever period the member drives `tick()` at (see `TICK_INTERVAL_MS`).
 */

/** Wall time of one logical tick in the member; 100 ms matches etcd's default heartbeat. */
export const TICK_INTERVAL_MS = 100;

/**
 * Ticks without hearing from a leader before a follower campaigns. Ten
 * heartbeats: a few lost heartbeats must not start an election (etcd uses the
 * same 10:1 ratio).
 */
export const ELECTION_TICKS = 10;

/**
 * Milliseconds a leader holds an AppendEntries that only announces a new
 * commit index, so the next batch of entries can carry it instead (see
 * RaftMemberOptions.commitNoticeDelayMs). One event-loop timer's worth: a
 * client that writes again right after its answer beats it; followers of an
 * idle group learn the commit index about 1 ms later.
 */
export const COMMIT_NOTICE_DELAY_MS = 1;

/** Ticks between leader heartbeats; one tick keeps followers' timers far from expiring. */
export const HEARTBEAT_TICKS = 1;

/**
 * Bytes of entries in one AppendEntries. 1 MiB amortises per-message cost on
 * a LAN without holding a follower's event loop for long while it decodes.
 */
export const MAX_APPEND_BYTES = 1024 * 1024;

/** Entries in one AppendEntries whatever their size, so tiny entries still batch sensibly. */
export const MAX_ENTRIES_PER_APPEND = 1024;

/**
 * AppendEntries in flight to one follower in the replicate state. 256 keeps a
 * high-latency edge link (tens of ms) busy at thousands of proposals/s.
 */
export const MAX_INFLIGHT_MSGS = 256;

/**
 * Bytes of entries in flight to one follower: bounds the memory a slow
 * follower can pin in the leader's transport queue.
 */
export const MAX_INFLIGHT_BYTES = 32 * 1024 * 1024;

/**
 * Size of one InstallSnapshot chunk. 512 KiB keeps each chunk well under a
 * transport frame and lets a follower's event loop interleave other work.
 */
export const SNAPSHOT_CHUNK_BYTES = 512 * 1024;

/**
 * Bytes of proposed-but-uncommitted entries a leader will hold before dropping
 * new proposals: back-pressure for a leader that has lost its followers.
 */
export const MAX_UNCOMMITTED_BYTES = 64 * 1024 * 1024;

/**
 * Applied entries kept in the log after a snapshot before they are compacted,
 * so a follower that is only slightly behind catches up by AppendEntries
 * rather than a full snapshot.
 */
export const SNAPSHOT_CATCHUP_ENTRIES = 5000;

/** Applied entries between two state-machine snapshots taken by the member. */
export const SNAPSHOT_EVERY_ENTRIES = 10000;

/**
 * Bytes of committed entries handed out in one Ready, so a node catching up
 * on a long log applies it in slices instead of one huge stall.
 */
export const MAX_APPLY_BYTES_PER_READY = 4 * 1024 * 1024;

/**
 * Client sessions the KV state machine remembers. Each costs its cached
 * results; 10k covers every client of an edge group with room to spare, and
 * an evicted client gets SESSION_EXPIRED, never a double apply.
 */
export const MAX_CLIENT_SESSIONS = 10_000;

/**
 * Results one session keeps for retries when its client does not say what it
 * has received (string client ids, the API's WriteId): a client with fewer
 * than this many requests in flight always gets its first answer back; an
 * older request id is refused as stale, never applied twice.
 */
export const MAX_SESSION_RESULTS = 256;

/**
 * Ticks (10 s at 100 ms) a member keeps a client's write or read waiting
 * before answering TIMEOUT; long enough for an election plus catch-up, short
 * enough that waiters of entries lost in a leader change do not pile up.
 */
export const REQUEST_TIMEOUT_TICKS = 100;

/** A client's wait for one attempt: a few election timeouts, so a leader change fits in one or two. */
export const CLIENT_ASK_TIMEOUT_MS = 3000;

/** Attempts before a client reports the outcome unknown; enough to walk a 5-member group twice. */
export const CLIENT_MAX_ATTEMPTS = 10;

/** A client's pause after "no leader": about half an election timeout, so a few retries span an election. */
export const CLIENT_RETRY_BACKOFF_MS = 500;

/**
 * Ticks cut from the leader lease: one for the phase difference between the
 * leader's and a follower's tick timers, one for clock-rate drift (20% at
 * the default 10-tick election timeout).
 */
export const LEASE_DRIFT_MARGIN_TICKS = 2;
