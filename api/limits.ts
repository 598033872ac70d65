/**
 * Limits of the client API, enforced before anything is forwarded. They are
 * part of the contract (README, proto comments) and the reason beside each.
 */
export const apiLimits = {
  /** etcd allows 1.5 MiB requests; keys are index entries in every SSTable block, so keep them short. */
  maxKeyBytes: 4 * 1024,
  /** One value fits in one Raft entry and one gRPC message with room to spare (grpc-js default max is 4 MiB). */
  maxValueBytes: 1024 * 1024,
  /** A client that waits longer than this has given up anyway; bounds the work a lost client leaves behind. */
  maxDeadlineMs: 60_000,
  /** Used when the client sets no deadline. */
  defaultDeadlineMs: 5_000,
} as const;
