/**
 * Edge node defaults, each with its reason. Change them here, not at call
 * sites. Times assume edge RTTs of 5–50 ms and the Raft defaults (100 ms
 * ticks, 1 s election timeout).
 */
export const edgeDefaults = {
  /**
   * One attempt at a group member (propose, ReadIndex): long enough for a
   * commit over a slow edge link and the member's group commit, short enough
   * that a dead member costs a small part of a 5 s client deadline.
   */
  memberAskTimeoutMs: 1_500,
  /**
   * Pause after "no leader" or a refused proposal before the next attempt:
   * about a fifth of an election timeout, so a few retries span an election
   * without hammering the candidates.
   */
  retryBackoffMs: 200,
  /**
   * Pause before retrying a global request that met a moving range (FENCED,
   * the ring changing): a migration step is a few Raft commits, so retrying
   * sooner mostly meets the same fence.
   */
  globalRetryBackoffMs: 250,
  /** Time for one routed global request through the gateways (lookup hops + the owner group's commit). */
  routeTimeoutMs: 4_000,
  /** The least time one routed attempt gets (an election in the owner group fits), even when that is most of the deadline. */
  minRouteAttemptMs: 1_500,
  /** Time beyond the owner group's own deadline for the route's answer to come back through the gateways. */
  routeReplyMarginMs: 500,
  /** Asks for status (a member's Raft status, a gateway's ring state): status pages must not hang on a dead node. */
  statusTimeoutMs: 1_000,
  /** Deadline of each step of a range move (a Raft commit or a ReadIndex read in either group, with retries). */
  migrationStepTimeoutMs: 10_000,
  /**
   * Bytes of keys and values per exported page and per import entry: far
   * below the 1 MiB Raft append batch and the 4 MiB frame limit, so one
   * import entry never stalls a follower's decode.
   */
  migrationChunkBytes: 256 * 1024,
  /** Session rows per import entry (each is small; a few hundred results at most). */
  migrationSessionsPerChunk: 200,
  /**
   * A gateway's migrator checks this often that its group owns the gateway's
   * range (one linearizable read of its group's ownership; all groups' only
   * when something is missing), and pulls what is not. Bounds how long ids
   * stay in a wrong group after a false suspicion heals.
   */
  reconcileMs: 1_000,
  /** Reading another group's ownership in a round: an unreachable group is skipped until the next round. */
  ownershipReadTimeoutMs: 2_000,
  /** Rounds (re-read, then move) one pull makes before giving up until the next trigger. */
  reconcileRoundsPerPull: 4,
  /** A graceful leave refused because a neighbour's handshake runs is asked again after this. */
  leaveRetryMs: 1_000,
  /** Leave attempts before giving up: 30 s of neighbours' handshakes is already a ring in turmoil. */
  leaveAttempts: 30,
  /** One leave may move a whole range of keys to the successor's group (the gateway's handoff allows 60 s per side). */
  leaveAskTimeoutMs: 150_000,
} as const;

export type EdgeTuning = { -readonly [K in keyof typeof edgeDefaults]: number };
