/**
 * Gateway defaults, each with its reason. Change them here, not at call sites.
 * Periods assume edge RTTs of 5–50 ms (the EdgeKV paper emulates 5 ms) and
 * rings of tens to a few hundred gateways, where membership changes are rare
 * (minutes) compared with these periods.
 */
export const gatewayDefaults = {
  /**
   * r. Chord wants r = Θ(log N) for N nodes; 4 covers log₂ of rings up to 16
   * gateways outright and survives any 3 consecutive gateway failures at once,
   * which for failure-independent edge sites is already rare. Raise it for
   * large rings (lookups do not get longer: the list is only a fallback route).
   */
  successorListLength: 4,
  /**
   * stabilize: 1 s keeps a joined gateway reachable from its predecessor
   * within about a second and the list of successors fresh, at one ask per
   * gateway per second — negligible traffic.
   */
  stabilizeMs: 1_000,
  /**
   * fix_fingers: each tick refreshes one finger (and every following finger
   * that the same answer settles), so a full pass takes about log₂N ticks;
   * 500 ms gives fresh fingers within a few seconds on rings of hundreds.
   */
  fixFingersMs: 500,
  /**
   * check_predecessor: 2 s. A failed predecessor is noticed within
   * 2 s + askTimeoutMs; its keys are unreachable until the next notify, so
   * this bounds that window without pinging more often than stabilize asks.
   */
  checkPredecessorMs: 2_000,
  /**
   * Ring check: ask one remembered gateway (or seed) for its id and adopt it
   * as successor if it lies between this gateway and its successor. Chord
   * alone cannot merge a ring split in two (by a healed partition, or false
   * suspicions on a lossy network cutting out a loop); this does, at one ask
   * per gateway per 5 s.
   */
  ringCheckMs: 5_000,
  /**
   * After a gateway left gracefully, its neighbours ignore its notifies and
   * do not adopt it from others' answers for this long: messages it sent
   * before leaving are still in flight for a few RTTs and must not put it
   * back. 10 stabilize periods is far beyond any in-flight delay; a gateway
   * rejoining sooner is let in by its successor's handshake and seen by the
   * rest once this expires.
   */
  departedQuarantineMs: 10_000,
  /** Gateways remembered for the ring check: a few dozen cover a split's other side with high odds, in a few KB. */
  maxAcquaintances: 64,
  /**
   * Ask timeout for ring maintenance and routing queries (get-neighbours,
   * find-next, ping): 10× a slow 50 ms edge RTT. A peer that misses it is
   * suspected and routed around; a false suspicion costs one hop, not data.
   */
  askTimeoutMs: 500,
  /**
   * Consecutive unanswered asks before a peer is suspected (a successor or
   * predecessor dropped, a routing hop avoided). One lost message on a lossy
   * edge link must not evict a live neighbour; two in a row still detect a
   * real failure within about a second.
   */
  suspectAfterMisses: 2,
  /**
   * A whole lookup (all hops, including backtracking around dead nodes) must
   * finish in this time: ~2 × 160 steps of askTimeoutMs would be far too long
   * for a client, and a lookup that slow means the ring is broken, not busy.
   */
  lookupTimeoutMs: 10_000,
  /** Routing steps before a lookup gives up: 2·m covers any path on a 160-bit ring plus backtracking. */
  maxLookupSteps: 320,
  /** A join that failed (bootstrap unreachable, successor busy with another joiner) is retried after this. */
  joinRetryMs: 1_000,
  /**
   * Ask timeout of one join/leave handshake request. The other side answers
   * only once its range hook (the data migration) is done, which may take
   * long; meanwhile a repeated request is answered "busy" at once, so the
   * asker keeps polling every joinRetryMs and never waits long on a lost
   * message. 2 s: a few RTTs plus a quick hook.
   */
  handshakeAskTimeoutMs: 2_000,
  /** A range hook that threw is retried after this (the data layer had a transient failure). */
  hookRetryMs: 1_000,
  /**
   * Ask timeout towards this gateway's group (a Raft proposal commits in a
   * few RTTs; 5 s also covers a leader election in the group).
   */
  groupAskTimeoutMs: 5_000,
  /**
   * A routed request or lookup that met a ring change (owner moved, not
   * serving yet, range unsettled after a failure) is walked again this many
   * times: with routeRetryMs, ~4 s, enough for a failure to be detected and
   * the new predecessor's notify to settle the range.
   */
  maxRouteAttempts: 8,
  /** Pause before such a retry: about a stabilize round trip plus the time a join's final stabilize takes to propagate. */
  routeRetryMs: 500,
  /**
   * Requests a joining or leaving gateway holds for its range until it serves
   * (or hands them on): bounded so a stuck migration cannot exhaust memory;
   * beyond it callers get NotServing and retry.
   */
  maxBufferedRequests: 1_000,
} as const;

export type GatewayTuning = {
  -readonly [K in keyof typeof gatewayDefaults]: (typeof gatewayDefaults)[K] extends number ? number : never;
};
