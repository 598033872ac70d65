import { Inflights } from './inflights.js';

/**
 * How the leader replicates to one peer:
 * - probe: one AppendEntries per heartbeat interval until the follower's
 *   match point is found (after election, rejection or unreachability);
 * - replicate: stream optimistically, many messages in flight;
 * - snapshot: the follower needs a snapshot; no appends until it lands.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an append was sent and we wait for its answer or the next heartbeat. */
  probeSent = false;
  /** In snapshot state: the index of the snapshot being sent and how far it got. */
  pendingSnapshot = 0;
  snapshotOffset = 0;
  /** In snapshot state: the offset when the previous heartbeat answer came in; -1 before the first. */
  snapshotOffsetAtLastHeartbeat = -1;
  /** `match` when the previous heartbeat answer came in; -1 before the first. */
  matchAtLastHeartbeat = -1;
  /** Latest leader tick at which a heartbeat this peer answered was sent (leader lease). */
  ackedTick = -Infinity;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  readonly inflights: Inflights;

  constructor(next: number, maxInflightMsgs: number, maxInflightBytes: number, public isLearner: boolean) {
    this.next = next;
    this.inflights = new Inflights(maxInflightMsgs, maxInflightBytes);
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotOffset = 0;
    this.matchAtLastHeartbeat = -1;
    this.snapshotOffsetAtLastHeartbeat = -1;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** Returns false for a stale acknowledgement (one that tells us nothing new). */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** Called after sending entries up to `lastIndex` (or a probe with none). */
  sentEntries(lastIndex: number, count: number, sizeBytes: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, sizeBytes);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /**
   * A rejection of the append at `rejected`; `hint` is where the follower
   * suggests trying. Returns false if the rejection is stale.
   */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === 'replicate') {
      // Only a rejection of something beyond match means anything; older ones are reorderings.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // In probe state only the rejection of the last probe (next - 1) counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /**
   * Called on each heartbeat answer in replicate state. The follower is alive,
   * so if appends are in flight and match has not moved since the previous
   * answer, they were lost (the transport does not always report drops):
   * fall back to probing so the window cannot stay full forever.
   */
  stalledSinceLastHeartbeat(): boolean {
    const stalled = this.inflights.count() > 0 && this.match === this.matchAtLastHeartbeat;
    this.matchAtLastHeartbeat = this.match;
    return stalled;
  }

  /**
   * Snapshot state: whether the chunk in flight looks lost (no progress
   * between two heartbeat answers). Resending on every answer would pile
   * duplicate chunks onto a slow link.
   */
  snapshotStalledSinceLastHeartbeat(): boolean {
    const stalled = this.snapshotOffset === this.snapshotOffsetAtLastHeartbeat;
    this.snapshotOffsetAtLastHeartbeat = this.snapshotOffset;
    return stalled;
  }

  /** Whether the leader must hold back appends to this peer. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}
