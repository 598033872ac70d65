import type { Random } from '../../runtime/random.js';
import { InvalidArgumentError } from '../../runtime/errors.js';
import { decodeConfChange, encodeConfChange, type ConfChange } from './conf-change.js';
import { type RaftConfig, type ResolvedConfig, resolveConfig } from './config.js';
import { ConfChangeRejectedError, LogCompactedError, NotLeaderError, ProposalDroppedError } from './errors.js';
import { RaftLog } from './log.js';
import type {
  AppMsg,
  AppRespMsg,
  HeartbeatMsg,
  HeartbeatRespMsg,
  Message,
  PropMsg,
  ReadIndexMsg,
  SnapMsg,
  SnapRespMsg,
  TransferLeaderMsg,
  VoteMsg,
  VoteRespMsg,
} from './messages.js';
import { Progress } from './progress.js';
import { committedIndex, quorumSize, voteResult } from './quorum.js';
import { ReadOnlyQueue, type ReadState } from './read-only.js';
import { SnapshotReceiver } from './snapshot-receiver.js';
import type { LogReader } from './storage.js';
import {
  NONE,
  entriesSize,
  hardStateEqual,
  type ConfState,
  type Entry,
  type HardState,
  type NodeId,
  type Snapshot,
} from './types.js';

export type RaftState = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export interface SoftState {
  readonly lead: NodeId;
  readonly state: RaftState;
}

/**
 * Everything the member must do after feeding the core: persist `hardState`,
 * `entries` and `snapshot` (one durable commit), then send `messages`, then
 * apply `snapshot` and `committedEntries` to the state machine, then call
 * `advance(ready)`. Messages must not leave before the persist completes:
 * that is what makes a vote or an append acknowledgement a promise.
 * `committedEntries` are durable on a majority already, so (without a
 * snapshot or a membership change among them) the member may apply them while
 * the persist is still running; `advance` still waits for both.
 */
export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
  readonly committedEntries: readonly Entry[];
  /** To send only after the persist completes: votes, answers, anything a promise rides on. */
  readonly messages: readonly Message[];
  /**
   * A leader's AppendEntries, heartbeats and snapshot chunks: they may leave
   * before its own persist (Raft thesis §10.2.1), since the leader counts its
   * own entries toward commit only after `advance`.
   */
  readonly earlyMessages: readonly Message[];
  readonly readStates: readonly ReadState[];
  /**
   * Whether the persist must be fsynced before `messages` leave: new entries,
   * a snapshot, or a changed term or vote. A commit-index-only change need
   * not be (it is re-learned from the leader after a crash).
   */
  readonly mustSync: boolean;
}

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: Progress['state'];
  readonly isLearner: boolean;
  readonly inflight: number;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly lead: NodeId;
  readonly state: RaftState;
  readonly committed: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly confState: ConfState;
  readonly leadTransferee: NodeId;
  /** Leader only. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus>;
}

/** A message as the core builds it: `from` is always this node; `term` defaults to the current one. */
type Outgoing = Message extends infer M ? (M extends Message ? Omit<M, 'from' | 'term'> & { term?: number } : never) : never;

/**
 * A pure Raft node: no timers, no I/O, no clock. Time is `tick()`, input is
 * `step(message)`, output is `ready()`. Randomness (election timeouts) comes
 * from the injected `Random`, so a seed replays a run exactly.
 */
export class RaftCore {
  readonly id: NodeId;
  readonly log: RaftLog;
  private readonly cfg: ResolvedConfig;
  private readonly random: Random;

  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  state: RaftState = 'follower';

  private voters: NodeId[] = [];
  private learners: NodeId[] = [];
  private prs = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();

  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private readonly readOnly = new ReadOnlyQueue();
  /** ReadIndex requests that arrived before this leader committed an entry of its term. */
  private pendingReadIndex: ReadIndexMsg[] = [];

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  /** Ticks since this node became leader; heartbeats carry it so answers date the lease. */
  private leaderTicks = 0;
  private randomizedElectionTimeout = 0;

  leadTransferee: NodeId = NONE;
  /** Index of the latest conf change on the leader's log; a new one waits until it is applied. */
  private pendingConfIndex = 0;
  private uncommittedBytes = 0;
  private readonly snapshotReceiver = new SnapshotReceiver();

  private prevHardState: HardState;
  private prevSoftState: SoftState;
  /** Term and vote as of the last `advance` (known durable). */
  private durableTerm = 0;
  private durableVote: NodeId = NONE;
  private readyOutstanding = false;
  private appendPending = false;

  constructor(config: RaftConfig, storage: LogReader, random: Random) {
    this.cfg = resolveConfig(config);
    this.id = config.id;
    this.random = random;
    this.log = new RaftLog(storage);
    const { hardState, confState } = storage.initialState();
    const conf =
      confState.voters.length > 0 || confState.learners.length > 0
        ? confState
        : { voters: config.peers ?? [], learners: config.learners ?? [] };
    this.setConf(conf);
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) {
      if (hardState.commit > this.log.lastIndex()) {
        throw new InvalidArgumentError(
          `raft ${this.id}: stored commit ${hardState.commit} is beyond the stored log (last index ${this.log.lastIndex()})`,
        );
      }
      // A stored commit below the snapshot is merely stale (commit-only changes are not fsynced).
      this.log.committed = Math.max(hardState.commit, this.log.committed);
      this.term = hardState.term;
      this.vote = hardState.vote;
    }
    if (config.applied !== undefined && config.applied > 0) {
      this.log.appliedTo(Math.min(config.applied, this.log.committed));
    }
    this.becomeFollower(this.term, NONE);
    this.prevHardState = this.hardState();
    this.prevSoftState = this.softState();
    this.durableTerm = this.prevHardState.term;
    this.durableVote = this.prevHardState.vote;
  }

  // ---------------------------------------------------------------- public API

  /** One logical clock tick: drives elections, heartbeats and CheckQuorum. */
  tick(): void {
    if (this.state === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  /** Proposes `data` as a normal entry. Throws ProposalDroppedError/NotLeaderError if it cannot be accepted here. */
  propose(data: Uint8Array): void {
    this.step({ type: 'prop', from: this.id, to: this.id, term: 0, entries: [{ type: 'normal', data }] });
  }

  proposeConfChange(cc: ConfChange): void {
    this.step({
      type: 'prop',
      from: this.id,
      to: this.id,
      term: 0,
      entries: [{ type: 'confChange', data: encodeConfChange(cc) }],
    });
  }

  /**
   * Asks for a linearizable read point. The answer comes back as a ReadState
   * with the same `context` in a later Ready; serve the read once the state
   * machine has applied `index`.
   */
  readIndex(context: Uint8Array): void {
    if (context.byteLength === 0) throw new InvalidArgumentError('readIndex context must not be empty');
    this.step({ type: 'readIndex', from: this.id, to: this.id, term: 0, context });
  }

  transferLeadership(transferee: NodeId): void {
    this.step({ type: 'transferLeader', from: this.id, to: this.id, term: 0, transferee });
  }

  /** Starts an election now (tests and operators; normally the election timer does it). */
  campaign(): void {
    this.step({ type: 'hup', from: this.id, to: this.id, term: 0 });
  }

  reportUnreachable(peer: NodeId): void {
    this.step({ type: 'unreachable', from: peer, to: this.id, term: 0 });
  }

  reportSnapshot(peer: NodeId, ok: boolean): void {
    this.step({ type: 'snapStatus', from: peer, to: this.id, term: 0, reject: !ok });
  }

  /**
   * Applies a committed conf change entry; the member calls this when it
   * applies the entry, in log order, and gets back the membership in force.
   */
  applyConfChange(cc: ConfChange): ConfState {
    const voters = new Set(this.voters);
    const learners = new Set(this.learners);
    switch (cc.type) {
      case 'addVoter':
        learners.delete(cc.nodeId);
        voters.add(cc.nodeId);
        break;
      case 'addLearner':
        voters.delete(cc.nodeId);
        learners.add(cc.nodeId);
        break;
      case 'remove':
        voters.delete(cc.nodeId);
        learners.delete(cc.nodeId);
        break;
    }
    if (voters.size === 0) {
      // Refused at proposal time; a replayed log from elsewhere must not brick the group either.
      return this.confState();
    }
    this.setConf({ voters: [...voters], learners: [...learners] });
    if (this.state === 'leader') {
      if (this.leadTransferee !== NONE && !this.voters.includes(this.leadTransferee)) this.abortLeaderTransfer();
      // A smaller quorum may commit more right away.
      if (this.maybeCommit()) this.bcastAppend();
      if (!this.voters.includes(this.id)) {
        // A leader that removed itself keeps leading, without counting itself, until it has handed
        // over: stepping down at once can strand the group when the others have not yet learned
        // that the removal committed (they would still need this node's vote, and its longer log
        // makes it refuse them).
        this.transferToSuccessor();
      }
    }
    return this.confState();
  }

  confState(): ConfState {
    return { voters: [...this.voters], learners: [...this.learners] };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { lead: this.lead, state: this.state };
  }

  status(): RaftStatus {
    const progress = new Map<NodeId, ProgressStatus>();
    if (this.state === 'leader') {
      for (const [id, pr] of this.prs) {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          inflight: pr.inflights.count(),
        });
      }
    }
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      lead: this.lead,
      state: this.state,
      committed: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      confState: this.confState(),
      leadTransferee: this.leadTransferee,
      progress,
    };
  }

  hasReady(): boolean {
    if (this.readyOutstanding) return false;
    const ss = this.softState();
    return (
      this.appendPending ||
      ss.lead !== this.prevSoftState.lead ||
      ss.state !== this.prevSoftState.state ||
      !hardStateEqual(this.hardState(), this.prevHardState) ||
      this.log.unstable.snapshot !== undefined ||
      this.log.unstable.entries.length > 0 ||
      this.msgs.length > 0 ||
      this.readStates.length > 0 ||
      this.log.hasNextCommittedEntries()
    );
  }

  /** Takes the pending work; the next `ready()` is only allowed after `advance()` of this one. */
  ready(): Ready {
    if (this.readyOutstanding) throw new Error('raft: ready() called again before advance()');
    this.readyOutstanding = true;
    if (this.appendPending) {
      this.appendPending = false;
      if (this.state === 'leader') this.bcastAppend();
    }
    const hs = this.hardState();
    const ss = this.softState();
    const entries = this.log.unstableEntries();
    const snapshot = this.log.unstable.snapshot;
    const early: Message[] = [];
    const late: Message[] = [];
    // Early sending needs the leader's term and vote already durable; in the Ready where it
    // became leader of a single-voter group they are not (a crash could reuse the term).
    const termDurable = hs.term === this.prevHardState.term && hs.vote === this.prevHardState.vote;
    for (const m of this.msgs) {
      const leaderTraffic = m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap';
      if (termDurable && m.term === this.term && this.state === 'leader' && leaderTraffic) {
        early.push(m);
      } else {
        late.push(m);
      }
    }
    const rd: Ready = {
      softState: ss.lead !== this.prevSoftState.lead || ss.state !== this.prevSoftState.state ? ss : undefined,
      hardState: hardStateEqual(hs, this.prevHardState) ? undefined : hs,
      entries,
      snapshot,
      committedEntries: this.log.nextCommittedEntries(this.cfg.maxApplyBytesPerReady),
      messages: late,
      earlyMessages: early,
      readStates: this.readStates,
      mustSync:
        entries.length > 0 || snapshot !== undefined || hs.term !== this.prevHardState.term || hs.vote !== this.prevHardState.vote,
    };
    this.msgs = [];
    this.readStates = [];
    this.prevHardState = hs;
    this.prevSoftState = ss;
    return rd;
  }

  /**
   * While a Ready is outstanding (its persist still running), a leader's
   * AppendEntries, heartbeats and snapshot chunks produced since then may
   * leave at once, as in the Ready itself (Raft thesis §10.2.1): new
   * proposals are sent to followers without waiting for the leader's own
   * fsync, and acknowledgements refill the pipeline. Returns them and keeps
   * everything else for the next Ready. Empty unless this node leads in a
   * term whose term and vote are already durable.
   */
  takeEarlyMessages(): Message[] {
    if (!this.readyOutstanding || this.state !== 'leader') return [];
    if (this.term !== this.durableTerm || this.vote !== this.durableVote) return [];
    if (this.appendPending) {
      this.appendPending = false;
      this.bcastAppend();
    }
    if (this.msgs.length === 0) return [];
    const early: Message[] = [];
    const rest: Message[] = [];
    for (const m of this.msgs) {
      const leaderTraffic = m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap';
      (leaderTraffic && m.term === this.term ? early : rest).push(m);
    }
    this.msgs = rest;
    return early;
  }

  /** The member has persisted, sent and applied everything in `rd`. */
  advance(rd: Ready): void {
    if (!this.readyOutstanding) throw new Error('raft: advance() without ready()');
    this.readyOutstanding = false;
    if (rd.hardState) {
      this.durableTerm = rd.hardState.term;
      this.durableVote = rd.hardState.vote;
    }
    if (rd.snapshot) {
      this.log.stableSnapTo(rd.snapshot.meta.index);
      if (rd.snapshot.meta.index > this.log.applied) this.log.applied = rd.snapshot.meta.index;
    }
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied) {
      this.log.appliedTo(lastApplied.index);
      if (this.state === 'leader') {
        this.uncommittedBytes = Math.max(0, this.uncommittedBytes - entriesSize(rd.committedEntries));
      }
    }
    const lastSaved = rd.entries[rd.entries.length - 1];
    if (lastSaved) {
      this.log.stableTo(lastSaved.index, lastSaved.term);
      if (this.state === 'leader' && lastSaved.term === this.term) {
        this.prs.get(this.id)?.maybeUpdate(lastSaved.index);
        if (this.maybeCommit()) this.bcastAppend();
      }
    }
  }

  // ---------------------------------------------------------------- step

  step(m: Message): void {
    if (m.term === 0) {
      // Local or forwarded (proposals, reads, transfers): not term-checked.
    } else if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        const inLease = this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.cfg.electionTicks;
        // While a leader is alive, a disruptive (e.g. removed or partitioned) node must not depose it.
        if (!m.transfer && inLease) return;
      }
      if (m.type === 'preVote') {
        // A PreVote never changes our term.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // A granted PreVote carries the future term; we bump when we actually campaign.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'app' || m.type === 'heartbeat')) {
        // A stale leader learns our term and steps down; without this a leader cut off by a
        // partition that rejoins could stay stuck (etcd does the same).
        this.send({ type: 'appResp', to: m.from, index: 0, reject: false, hintIndex: 0, hintTerm: 0 });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', to: m.from, reject: true });
      }
      return;
    }

    switch (m.type) {
      case 'hup':
        this.hup(m.transfer === true);
        return;
      case 'vote':
      case 'preVote':
        this.handleVote(m);
        return;
    }

    switch (this.state) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
  }

  private isLocal(m: Message): boolean {
    return m.from === this.id;
  }

  private hup(transfer: boolean): void {
    if (this.state === 'leader') return;
    if (!this.promotable()) return;
    if (this.hasUnappliedConfChanges()) return;
    if (this.cfg.preVote && !transfer) this.startCampaign('preVote', false);
    else this.startCampaign('vote', transfer);
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.log.committed <= this.log.applied) return false;
    const lo = Math.max(this.log.applied + 1, this.log.firstIndex());
    for (let i = lo; i <= this.log.committed; ) {
      const ents = this.log.slice(i, this.log.committed + 1, this.cfg.maxApplyBytesPerReady);
      if (ents.length === 0) break;
      for (const e of ents) if (e.type === 'confChange') return true;
      i = ents[ents.length - 1]!.index + 1;
    }
    return false;
  }

  private startCampaign(kind: 'vote' | 'preVote', transfer: boolean): void {
    let voteTerm: number;
    if (kind === 'preVote') {
      this.becomePreCandidate();
      voteTerm = this.term + 1;
    } else {
      this.becomeCandidate();
      voteTerm = this.term;
    }
    this.votes.set(this.id, true);
    if (voteResult(this.voters, this.votes) === 'won') {
      // Single voter: nobody to ask.
      if (kind === 'preVote') this.startCampaign('vote', transfer);
      else {
        this.becomeLeader();
        // Learners, if any, start receiving the log now.
        this.bcastAppend();
      }
      return;
    }
    for (const id of this.voters) {
      if (id === this.id) continue;
      this.send({
        type: kind,
        to: id,
        term: voteTerm,
        index: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        transfer,
      });
    }
  }

  private handleVote(m: VoteMsg): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === 'preVote' && m.term > this.term);
    const respType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // A granted PreVote answers in the candidate's future term so it is not dropped as stale.
      this.send({ type: respType, to: m.from, term: m.term, reject: false });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      const commit = this.log.committed;
      this.send({ type: respType, to: m.from, term: this.term, reject: true, commit, commitTerm: this.log.termOrZero(commit) });
    }
  }

  // ---------------------------------------------------------------- leader

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'beat':
        this.bcastHeartbeat();
        return;
      case 'checkQuorum':
        if (!this.quorumActive()) this.becomeFollower(this.term, NONE);
        for (const [id, pr] of this.prs) pr.recentActive = id === this.id;
        return;
      case 'prop':
        this.leaderPropose(m);
        return;
      case 'readIndex':
        this.leaderReadIndex(m);
        return;
      case 'transferLeader':
        this.leaderTransfer(m);
        return;
    }
    const pr = this.prs.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case 'appResp':
        this.handleAppResp(m, pr);
        return;
      case 'heartbeatResp':
        this.handleHeartbeatResp(m, pr);
        return;
      case 'snapResp':
        this.handleSnapResp(m, pr);
        return;
      case 'snapStatus':
        if (pr.state !== 'snapshot') return;
        // Either way, go back to probing; on failure wait for the next heartbeat answer before retrying.
        pr.becomeProbe();
        if (m.reject) pr.probeSent = true;
        return;
      case 'unreachable':
        if (pr.state === 'replicate') pr.becomeProbe();
        return;
      default:
        return;
    }
  }

  private leaderPropose(m: PropMsg): void {
    const local = this.isLocal(m);
    const drop = (reason: string): void => {
      if (local) throw new ProposalDroppedError(reason, this.lead);
    };
    if (m.entries.length === 0) return drop('empty proposal');
    if (!this.prs.has(this.id)) return drop('this leader was removed from the group');
    if (this.leadTransferee !== NONE) return drop(`leadership is being transferred to ${this.leadTransferee}`);
    const size = m.entries.reduce((n, e) => n + e.data.byteLength + 24, 0);
    if (this.uncommittedBytes > 0 && this.uncommittedBytes + size > this.cfg.maxUncommittedBytes) {
      return drop(`too many uncommitted bytes (${this.uncommittedBytes}); the group is not keeping up`);
    }
    const ents = m.entries.slice();
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i]!;
      if (e.type !== 'confChange') continue;
      const reason = this.confChangeProblem(e.data);
      if (reason !== undefined) {
        if (local) throw new ConfChangeRejectedError(reason);
        // A forwarded one cannot be answered here; an empty entry keeps the batch's positions.
        ents[i] = { type: 'normal', data: new Uint8Array(0) };
      } else {
        this.pendingConfIndex = this.log.lastIndex() + i + 1;
      }
    }
    this.uncommittedBytes += size;
    this.appendEntries(ents);
    // Sent at the next ready(): proposals that arrive together leave as one AppendEntries per follower.
    this.appendPending = true;
  }

  private confChangeProblem(data: Uint8Array): string | undefined {
    if (this.pendingConfIndex > this.log.applied) {
      return `change at index ${this.pendingConfIndex} is not applied yet (applied ${this.log.applied})`;
    }
    const cc = decodeConfChange(data);
    if (cc.nodeId === NONE) return 'node id 0 is reserved';
    const remaining = this.voters.filter((v) => v !== cc.nodeId);
    if (cc.type !== 'addVoter' && remaining.length === 0) return `it would leave no voter (removing ${cc.nodeId})`;
    return undefined;
  }

  private appendEntries(ents: readonly Pick<Entry, 'type' | 'data'>[]): void {
    let index = this.log.lastIndex();
    const full: Entry[] = ents.map((e) => ({ term: this.term, index: ++index, type: e.type, data: e.data }));
    this.log.append(full);
    // The leader counts itself only once its own entries are durable (advance), which is
    // what lets it send AppendEntries in parallel with its own fsync (Raft thesis §10.2.1).
  }

  /** The last index known durable here (everything below the unstable part). */
  private stableLastIndex(): number {
    return Math.min(this.log.lastIndex(), this.log.unstable.offset - 1);
  }

  private maybeCommit(): boolean {
    const mci = committedIndex(this.voters, (id) => this.prs.get(id)?.match ?? 0);
    const advanced = this.log.maybeCommit(mci, this.term);
    if (advanced) this.releasePendingReadIndex();
    return advanced;
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.termOrZero(this.log.committed) === this.term;
  }

  private releasePendingReadIndex(): void {
    if (this.pendingReadIndex.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const pending = this.pendingReadIndex;
    this.pendingReadIndex = [];
    for (const m of pending) this.serveReadIndex(m);
  }

  private leaderReadIndex(m: ReadIndexMsg): void {
    if (this.voters.length === 1 && this.voters[0] === this.id) {
      this.respondRead(m.from, this.log.committed, m.context);
      return;
    }
    // A new leader does not know the commit index until an entry of its term commits (§8).
    if (!this.committedEntryInCurrentTerm()) {
      this.pendingReadIndex.push(m);
      return;
    }
    this.serveReadIndex(m);
  }

  private serveReadIndex(m: ReadIndexMsg): void {
    if (this.cfg.readOnly === 'leaseBased' && this.leaseValid()) {
      this.respondRead(m.from, this.log.committed, m.context);
      return;
    }
    // Safe path (also the fallback when the lease is not known to hold): one heartbeat round.
    this.readOnly.add(this.log.committed, m.context, m.from, this.id);
    this.bcastHeartbeat(m.context);
  }

  private respondRead(to: NodeId, index: number, context: Uint8Array): void {
    if (to === this.id || to === NONE) this.readStates.push({ index, context });
    else this.send({ type: 'readIndexResp', to, index, context });
  }

  private leaderTransfer(m: TransferLeaderMsg): void {
    const transferee = m.transferee;
    const pr = this.prs.get(transferee);
    if (!pr || pr.isLearner) {
      if (this.isLocal(m)) throw new InvalidArgumentError(`node ${transferee} is not a voter; cannot transfer leadership to it`);
      return;
    }
    if (this.leadTransferee !== NONE) {
      if (this.leadTransferee === transferee) return;
      this.abortLeaderTransfer();
    }
    if (transferee === this.id) return;
    this.leadTransferee = transferee;
    // The transfer must finish within one election timeout or it is abandoned.
    this.electionElapsed = 0;
    if (pr.match === this.log.lastIndex()) this.send({ type: 'timeoutNow', to: transferee });
    else this.sendAppend(transferee);
  }

  private handleAppResp(m: AppRespMsg, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      let next = m.hintIndex;
      if (m.hintTerm > 0) {
        // Skip over every entry of ours whose term is above the follower's hint term.
        next = this.log.findConflictByTerm(m.hintIndex, m.hintTerm).index;
      }
      if (pr.maybeDecrTo(m.index, next)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) {
      this.bcastAppend();
    } else if (oldPaused) {
      this.sendAppend(m.from);
    }
    // Pipelining: keep sending while the in-flight window has room.
    while (this.maybeSendAppend(m.from, false)) {
      /* keep filling */
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send({ type: 'timeoutNow', to: m.from });
    }
  }

  private handleHeartbeatResp(m: HeartbeatRespMsg, pr: Progress): void {
    pr.recentActive = true;
    pr.ackedTick = Math.max(pr.ackedTick, m.sentTick);
    if (pr.state === 'probe') pr.probeSent = false;
    if (pr.state === 'replicate' && pr.stalledSinceLastHeartbeat()) pr.becomeProbe();
    if (pr.state === 'snapshot') {
      if (pr.snapshotStalledSinceLastHeartbeat()) this.sendSnapshotChunk(m.from, pr);
    } else if (pr.match < this.log.lastIndex()) {
      this.sendAppend(m.from);
    }
    if (m.context.byteLength === 0) return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (!acks) return;
    let voterAcks = 0;
    for (const id of acks) if (this.voters.includes(id)) voterAcks++;
    if (voterAcks < quorumSize(this.voters.length)) return;
    for (const r of this.readOnly.advance(m.context)) this.respondRead(r.from, r.index, r.context);
  }

  private handleSnapResp(m: SnapRespMsg, pr: Progress): void {
    pr.recentActive = true;
    if (pr.state !== 'snapshot' || m.snapIndex !== pr.pendingSnapshot) return;
    pr.snapshotOffset = m.nextOffset;
    this.sendSnapshotChunk(m.from, pr);
  }

  /**
   * The leader lease: a quorum answered heartbeats sent within the last
   * election timeout (less a drift margin). Each of them reset its election
   * timer on receipt, after the send, and with CheckQuorum will not vote for
   * anyone else until a full election timeout has passed on its own clock,
   * so no other leader can exist yet. A transfer voids the lease, since the
   * transferee campaigns without waiting.
   */
  private leaseValid(): boolean {
    if (this.leadTransferee !== NONE) return false;
    const since = this.leaderTicks - (this.cfg.electionTicks - this.cfg.leaseDriftMarginTicks);
    let n = 0;
    for (const id of this.voters) {
      if (id === this.id || (this.prs.get(id)?.ackedTick ?? -Infinity) >= since) n++;
    }
    return n >= quorumSize(this.voters.length);
  }

  private quorumActive(): boolean {
    let active = 0;
    for (const id of this.voters) {
      if (id === this.id || this.prs.get(id)?.recentActive) active++;
    }
    return active >= quorumSize(this.voters.length);
  }

  private bcastAppend(): void {
    for (const id of this.prs.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(context?: Uint8Array): void {
    const ctx = context ?? (this.cfg.readOnly === 'safe' ? this.readOnly.lastPendingContext() : undefined);
    for (const [id, pr] of this.prs) {
      if (id === this.id) continue;
      this.send({
        type: 'heartbeat',
        to: id,
        commit: Math.min(pr.match, this.log.committed),
        context: ctx ?? new Uint8Array(0),
        sentTick: this.leaderTicks,
      });
    }
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /** Sends one AppendEntries (or starts a snapshot) if the peer is not paused; false if nothing went out. */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    let prevTerm: number;
    let ents: Entry[];
    try {
      prevTerm = this.log.term(prevIndex);
      ents = this.log.entriesFrom(pr.next, this.cfg.maxAppendBytes, this.cfg.maxEntriesPerAppend);
    } catch (e) {
      if (!(e instanceof LogCompactedError)) throw e;
      this.startSnapshot(to, pr);
      return true;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send({ type: 'app', to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.log.committed });
    const last = ents.length > 0 ? ents[ents.length - 1]!.index : prevIndex;
    pr.sentEntries(last, ents.length, entriesSize(ents));
    return true;
  }

  private startSnapshot(to: NodeId, pr: Progress): void {
    const snap = this.log.snapshot();
    if (snap.meta.index === 0) throw new Error(`raft ${this.id}: log compacted but storage has no snapshot`);
    pr.becomeSnapshot(snap.meta.index);
    this.sendSnapshotChunk(to, pr);
  }

  private sendSnapshotChunk(to: NodeId, pr: Progress): void {
    const snap = this.log.snapshot();
    if (snap.meta.index !== pr.pendingSnapshot) {
      // A newer snapshot replaced the one being streamed; start over with it.
      pr.becomeSnapshot(snap.meta.index);
    }
    const total = snap.data.byteLength;
    const offset = Math.min(pr.snapshotOffset, total);
    const chunk = snap.data.subarray(offset, Math.min(total, offset + this.cfg.snapshotChunkBytes));
    this.send({ type: 'snap', to, meta: snap.meta, offset, totalBytes: total, chunk });
  }

  // ---------------------------------------------------------------- candidate / follower

  private stepCandidate(m: Message): void {
    const myResp = this.state === 'preCandidate' ? 'preVoteResp' : 'voteResp';
    switch (m.type) {
      case 'prop':
        if (this.isLocal(m)) throw new ProposalDroppedError('an election is in progress; no leader yet');
        return;
      case 'readIndex':
        if (this.isLocal(m)) throw new NotLeaderError(this.id, undefined);
        return;
      case 'app':
        this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'snap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case 'voteResp':
      case 'preVoteResp':
        if (m.type !== myResp) return;
        this.handleVoteResp(m);
        return;
      default:
        return;
    }
  }

  private handleVoteResp(m: VoteRespMsg): void {
    if (m.reject && m.commit !== undefined && m.commitTerm !== undefined && m.commit > this.log.committed) {
      if (m.commit <= this.log.lastIndex() && this.log.matchTerm(m.commit, m.commitTerm)) this.log.commitTo(m.commit);
    }
    this.votes.set(m.from, !m.reject);
    const r = voteResult(this.voters, this.votes);
    if (r === 'won') {
      if (this.state === 'preCandidate') this.startCampaign('vote', false);
      else {
        this.becomeLeader();
        this.bcastAppend();
      }
    } else if (r === 'lost') {
      this.becomeFollower(this.term, NONE);
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'prop':
        if (this.lead === NONE) {
          if (this.isLocal(m)) throw new ProposalDroppedError('no leader is known', undefined);
          return;
        }
        if (this.cfg.disableProposalForwarding) {
          if (this.isLocal(m)) throw new NotLeaderError(this.id, this.lead);
          return;
        }
        this.send({ ...m, to: this.lead, term: 0 });
        return;
      case 'app':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case 'snap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'transferLeader':
        if (this.lead !== NONE) this.send({ ...m, to: this.lead, term: 0 });
        return;
      case 'timeoutNow':
        this.hup(true);
        return;
      case 'readIndex':
        if (this.lead === NONE) {
          if (this.isLocal(m)) throw new NotLeaderError(this.id, undefined);
          return;
        }
        this.send({ ...m, to: this.lead, term: 0 });
        return;
      case 'readIndexResp':
        this.readStates.push({ index: m.index, context: m.context });
        return;
      default:
        return;
    }
  }

  private handleAppend(m: AppMsg): void {
    if (m.index < this.log.committed) {
      // Everything up to our commit index is known to match; tell the leader where we are.
      this.send({ type: 'appResp', to: m.from, index: this.log.committed, reject: false, hintIndex: 0, hintTerm: 0 });
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send({ type: 'appResp', to: m.from, index: lastNew, reject: false, hintIndex: 0, hintTerm: 0 });
      return;
    }
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.send({ type: 'appResp', to: m.from, index: m.index, reject: true, hintIndex: hint.index, hintTerm: hint.term });
  }

  private handleHeartbeat(m: HeartbeatMsg): void {
    this.log.commitTo(m.commit);
    this.send({ type: 'heartbeatResp', to: m.from, context: m.context, sentTick: m.sentTick });
  }

  private handleSnapshot(m: SnapMsg): void {
    const out = this.snapshotReceiver.accept(m);
    if (out.kind === 'need') {
      this.send({ type: 'snapResp', to: m.from, snapIndex: m.meta.index, nextOffset: out.nextOffset });
      return;
    }
    const index = this.restore(out.snapshot) ? this.log.lastIndex() : this.log.committed;
    this.send({ type: 'appResp', to: m.from, index, reject: false, hintIndex: 0, hintTerm: 0 });
  }

  /** Installs a snapshot from the leader unless our log already has what it covers. */
  private restore(s: Snapshot): boolean {
    if (s.meta.index <= this.log.committed) return false;
    if (this.log.matchTerm(s.meta.index, s.meta.term)) {
      // We already have the entries; only the commit index moves.
      this.log.commitTo(s.meta.index);
      return false;
    }
    this.log.restore(s);
    this.setConf(s.meta.confState);
    return true;
  }

  // ---------------------------------------------------------------- roles and timers

  private promotable(): boolean {
    return this.voters.includes(this.id);
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step({ type: 'hup', from: this.id, to: this.id, term: 0 });
    }
  }

  private tickHeartbeat(): void {
    this.leaderTicks++;
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.step({ type: 'checkQuorum', from: this.id, to: this.id, term: 0 });
      if (this.state === 'leader' && this.leadTransferee !== NONE) this.abortLeaderTransfer();
      // A leader that is no longer a voter retries its hand-over every election timeout.
      if (this.state === 'leader' && !this.promotable()) this.transferToSuccessor();
    }
    if (this.state !== 'leader') return;
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.step({ type: 'beat', from: this.id, to: this.id, term: 0 });
    }
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    // Randomised in [election, 2*election) so that split votes resolve (Raft §5.2).
    this.randomizedElectionTimeout = this.cfg.electionTicks + this.random.int(this.cfg.electionTicks);
    this.abortLeaderTransfer();
    this.votes.clear();
    const last = this.log.lastIndex();
    for (const [id, pr] of this.prs) {
      const fresh = this.newProgress(pr.isLearner);
      fresh.next = last + 1;
      if (id === this.id) fresh.match = this.stableLastIndex();
      this.prs.set(id, fresh);
    }
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
    this.readOnly.clear();
    this.pendingReadIndex = [];
  }

  private newProgress(isLearner: boolean): Progress {
    return new Progress(this.log.lastIndex() + 1, this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes, isLearner);
  }

  private becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.state = 'follower';
  }

  private becomePreCandidate(): void {
    this.votes.clear();
    this.lead = NONE;
    this.state = 'preCandidate';
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = 'candidate';
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.leaderTicks = 0;
    this.lead = this.id;
    this.state = 'leader';
    for (const [id, pr] of this.prs) {
      pr.recentActive = true;
      if (id === this.id) pr.becomeReplicate();
    }
    // An empty entry of the new term: committing it commits everything before it (§5.4.2, §8).
    this.appendEntries([{ type: 'normal', data: new Uint8Array(0) }]);
    // No membership change until that entry is applied: earlier changes may still be
    // uncommitted, and Ongaro's fix for single-server changes needs one entry of our term committed.
    this.pendingConfIndex = this.log.lastIndex();
  }

  /** Hands leadership to the most up-to-date remaining voter (used by a leader that is no longer a voter). */
  private transferToSuccessor(): void {
    if (this.leadTransferee !== NONE) return;
    let best: NodeId = NONE;
    let bestMatch = -1;
    for (const id of this.voters) {
      const m = this.prs.get(id)?.match ?? -1;
      if (id !== this.id && m > bestMatch) {
        best = id;
        bestMatch = m;
      }
    }
    if (best === NONE) return;
    this.leadTransferee = best;
    this.electionElapsed = 0;
    if (this.prs.get(best)!.match === this.log.lastIndex()) this.send({ type: 'timeoutNow', to: best });
    else this.sendAppend(best);
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  private setConf(conf: ConfState): void {
    this.voters = [...new Set(conf.voters)].sort((a, b) => a - b);
    this.learners = [...new Set(conf.learners)].filter((l) => !this.voters.includes(l)).sort((a, b) => a - b);
    const next = new Map<NodeId, Progress>();
    for (const id of [...this.voters, ...this.learners]) {
      const isLearner = this.learners.includes(id);
      let pr = this.prs.get(id);
      if (!pr) {
        pr = this.newProgress(isLearner);
        // A newcomer must not count as dead in the very next CheckQuorum round.
        pr.recentActive = true;
        if (id === this.id) pr.match = this.stableLastIndex();
      }
      pr.isLearner = isLearner;
      next.set(id, pr);
    }
    this.prs = next;
  }

  private send(m: Outgoing): void {
    const full = { ...m, from: this.id, term: m.term ?? this.term } as Message;
    this.msgs.push(full);
  }
}

/** Decodes a committed conf change entry; the member passes the result to `applyConfChange`. */
export { decodeConfChange, encodeConfChange };
