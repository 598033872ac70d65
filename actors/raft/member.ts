import type { Actor, ActorContext, Props } from '../../runtime/actor.js';
import type { ActorRef } from '../../runtime/actor-ref.js';
import { EdgeKVError } from '../../runtime/errors.js';
import { decodeConfChange, type ConfChange } from './conf-change.js';
import type { RaftConfig } from './config.js';
import { RaftCore, type RaftStatus, type Ready } from './core.js';
import * as D from './defaults.js';
import { encodeRequest, type ClientKey, type KvResult } from './kv/commands.js';
import type { KvApplied, ReplicatedKv } from './kv/kv-state-machine.js';
import type { ConfChangeReply, MemberErrorCode, MemberReply, RaftMemberMessage, ReadConsistency, StatusReply } from './member-messages.js';
import type { LogStore } from './storage.js';
import type { Message } from './messages.js';
import type { Entry, HardState, NodeId } from './types.js';
import { trace, tracing } from './trace.js';

export interface RaftMemberOptions {
  readonly id: NodeId;
  /** The group's founding voters (the same list on every member, including later joiners). */
  readonly peers: readonly NodeId[];
  /** Where the member with id `to` lives. */
  readonly peerRef: (to: NodeId, ctx: ActorContext<RaftMemberMessage>) => ActorRef<RaftMemberMessage>;
  readonly store: LogStore;
  /** Called at every (re)start for a fresh, empty state machine (`KvStateMachine` or one built on it). */
  readonly stateMachine: () => ReplicatedKv;
  readonly raft?: Omit<RaftConfig, 'id' | 'peers' | 'applied'>;
  readonly tickMs?: number;
  readonly snapshotEveryEntries?: number;
  readonly snapshotCatchupEntries?: number;
  /**
   * How long a leader holds an AppendEntries that carries no entries (only a new commit
   * index) before sending it; one that carries entries to the same follower meanwhile
   * replaces it. Under a steady stream of writes the next batch tells followers the commit
   * index, and the notice costs no message (at one write in flight it was half of all
   * messages). 0 sends at once. Followers learn the commit index up to this much later.
   */
  readonly commitNoticeDelayMs?: number;
  /** Ticks a client waits for its write to apply here before getting TIMEOUT (outcome unknown). */
  readonly requestTimeoutTicks?: number;
  /** Test hook: called with each new instance at (re)start, e.g. so a simulator can inspect roles. */
  readonly onStart?: (member: RaftMember) => void;
}

interface Waiter {
  readonly replyTo: ActorRef<unknown>;
  readonly deadlineTick: number;
}

interface PendingRead {
  readonly replyTo: ActorRef<unknown>;
  /** Runs the read against the state machine once it has caught up. */
  readonly serve: () => KvResult;
  readonly deadlineTick: number;
  /** Known once the ReadIndex answer arrives. */
  index?: number;
}

/**
 * A Raft group member: wraps the pure core with the runtime's clock
 * (ticks), transport (peer refs) and a log store. The Ready loop runs beside
 * message handling: while one Ready is being made durable, new proposals keep
 * stepping into the core, and the next Ready carries all of them into one
 * durable commit (group commit). No vote or acknowledgement leaves the member
 * before the Ready that produced it is durable; a leader's AppendEntries leave
 * before its own persist (Raft thesis §10.2.1), and committed entries (durable
 * on a majority already) are applied and answered while it runs.
 */
export class RaftMember implements Actor<RaftMemberMessage> {
  private core!: RaftCore;
  private sm!: ReplicatedKv;
  private ctx!: ActorContext<RaftMemberMessage>;
  private flushing = false;
  private stopped = false;
  private ticks = 0;
  private lastSnapshotIndex = 0;
  private readonly writes = new Map<string, Waiter[]>();
  private readonly reads = new Map<string, PendingRead>();
  /** Membership changes proposed here, by log index, waiting to be applied. */
  private readonly confWaiters = new Map<number, Waiter>();
  private nextReadId = 1;
  /** Times applying waited for the state machine's write stall (a metric; tests use it for coverage). */
  stallsWaited = 0;
  /** Membership changes this instance has applied (a metric; tests use it for coverage). */
  confChangesApplied = 0;
  /** Leader: the newest entry-less AppendEntries per follower, held back (see commitNoticeDelayMs). */
  private readonly heldNotices = new Map<NodeId, Message>();
  private noticeTimerArmed = false;
  /** A `pipeline` message to self is queued (see receive). */
  private pipelineQueued = false;
  /** A commit-index-only hard state not yet written (see handleReady). */
  private deferredHardState: HardState | undefined;

  constructor(private readonly opts: RaftMemberOptions) {}

  static props(opts: RaftMemberOptions): Props<RaftMemberMessage> {
    return { create: () => new RaftMember(opts) };
  }

  preStart(ctx: ActorContext<RaftMemberMessage>): void {
    this.ctx = ctx;
    this.sm = this.opts.stateMachine();
    const snap = this.opts.store.snapshot();
    if (snap.meta.index > 0) this.sm.restore(snap.data);
    this.lastSnapshotIndex = snap.meta.index;
    this.core = new RaftCore(
      { ...this.opts.raft, id: this.opts.id, peers: this.opts.peers, applied: snap.meta.index },
      this.opts.store,
      ctx.random,
    );
    ctx.startTimer('tick', this.opts.tickMs ?? D.TICK_INTERVAL_MS, { kind: 'tick' }, { repeat: true });
    this.opts.onStart?.(this);
  }

  /** The core's view right now (synchronous; for tests and the status endpoint). */
  status(): RaftStatus {
    return this.core.status();
  }

  postStop(): void {
    this.stopped = true;
  }

  receive(msg: RaftMemberMessage, ctx: ActorContext<RaftMemberMessage>): void {
    this.ctx = ctx;
    if (tracing) traceReceive(msg);
    switch (msg.kind) {
      case 'tick':
        this.ticks++;
        this.core.tick();
        this.expireWaiters();
        break;
      case 'raft':
        this.core.step(msg.message);
        break;
      case 'propose':
        this.propose(msg, ctx);
        break;
      case 'get': {
        const key = msg.key;
        this.read(msg.consistency, () => ({ ok: true, op: 'get', value: this.sm.get(key) }), ctx);
        break;
      }
      case 'range': {
        const { start, end, limit } = msg;
        this.read(msg.consistency, () => ({ ok: true, op: 'range', entries: this.sm.range(start, end, limit) }), ctx);
        break;
      }
      case 'query': {
        const question = msg.query;
        this.read(msg.consistency, () => this.sm.query(question), ctx);
        break;
      }
      case 'confChange':
        this.proposeConfChange(msg.change, ctx);
        break;
      case 'transferLeader':
        this.localCall(ctx, () => this.core.transferLeadership(msg.to), 'INVALID_ARGUMENT');
        break;
      case 'status': {
        const s = this.core.status();
        const reply: StatusReply = { ...s, progress: [...s.progress.entries()] };
        ctx.reply(reply);
        break;
      }
      case 'commitNotice':
        this.sendHeldNotices();
        break;
      case 'pipeline':
        this.pipelineQueued = false;
        this.sendEarly(this.core.takeEarlyMessages());
        break;
      case 'fatal':
        throw new EdgeKVError('RAFT_MEMBER_FAILED', msg.message);
    }
    if ((msg.kind === 'propose' || msg.kind === 'raft') && this.flushing && !this.pipelineQueued && this.core.state === 'leader') {
      // A Ready is being persisted: what arrived meanwhile (proposals, acknowledgements)
      // goes to the followers now rather than after this member's fsync. The message to
      // self queues behind everything already in the mailbox, so a burst leaves as one
      // AppendEntries per follower.
      this.pipelineQueued = true;
      ctx.self.tell({ kind: 'pipeline' });
    }
    this.scheduleFlush();
  }

  private localCall(ctx: ActorContext<RaftMemberMessage>, fn: () => void, code: 'CONF_CHANGE_REJECTED' | 'INVALID_ARGUMENT'): void {
    try {
      fn();
      if (ctx.sender) ctx.reply({ ok: true, result: { ok: true, op: 'noop' } } satisfies MemberReply);
    } catch (e) {
      if (ctx.sender) ctx.reply(this.errorReply(e, code));
    }
  }

  private proposeConfChange(change: ConfChange, ctx: ActorContext<RaftMemberMessage>): void {
    const sender = ctx.sender;
    if (this.core.state !== 'leader') {
      // Membership is an operator's call, answered by the leader rather than forwarded blindly.
      const lead = this.core.lead;
      sender?.tell({
        ok: false,
        code: 'NOT_LEADER',
        message: `member ${this.opts.id} is not the leader`,
        ...(lead ? { leaderId: lead } : {}),
      } satisfies ConfChangeReply);
      return;
    }
    try {
      this.core.proposeConfChange(change);
    } catch (e) {
      if (sender) ctx.reply(this.errorReply(e, 'CONF_CHANGE_REJECTED'));
      return;
    }
    // On the leader the entry has just been appended at the end of the log.
    if (sender) {
      this.confWaiters.set(this.core.log.lastIndex(), {
        replyTo: sender,
        deadlineTick: this.ticks + (this.opts.requestTimeoutTicks ?? D.REQUEST_TIMEOUT_TICKS),
      });
    }
  }

  private propose(msg: Extract<RaftMemberMessage, { kind: 'propose' }>, ctx: ActorContext<RaftMemberMessage>): void {
    const sender = ctx.sender;
    try {
      this.core.propose(encodeRequest(msg.request));
    } catch (e) {
      if (sender) ctx.reply(this.errorReply(e, 'PROPOSAL_DROPPED'));
      return;
    }
    if (!sender) return;
    // Every member applies every entry, so whichever member took the request answers it,
    // even if it only forwarded the proposal.
    const key = waiterKey(msg.request.clientId, msg.request.requestId);
    const list = this.writes.get(key) ?? [];
    list.push({ replyTo: sender, deadlineTick: this.ticks + (this.opts.requestTimeoutTicks ?? D.REQUEST_TIMEOUT_TICKS) });
    this.writes.set(key, list);
  }

  private read(consistency: ReadConsistency, serve: () => KvResult, ctx: ActorContext<RaftMemberMessage>): void {
    const sender = ctx.sender;
    if (!sender) return;
    if (consistency === 'serializable') {
      ctx.reply({ ok: true, result: serve() } satisfies MemberReply);
      return;
    }
    const id = `${this.opts.id}:${this.nextReadId++}`;
    try {
      this.core.readIndex(new Uint8Array(Buffer.from(id)));
    } catch (e) {
      ctx.reply(this.errorReply(e, 'NOT_LEADER'));
      return;
    }
    this.reads.set(id, {
      replyTo: sender,
      serve,
      deadlineTick: this.ticks + (this.opts.requestTimeoutTicks ?? D.REQUEST_TIMEOUT_TICKS),
    });
  }

  private errorReply(e: unknown, fallback: MemberErrorCode): MemberReply {
    if (e instanceof EdgeKVError) {
      const leaderId = (e as { leaderId?: NodeId }).leaderId;
      const code = e.code === 'NOT_LEADER' || e.code === 'PROPOSAL_DROPPED' || e.code === 'CONF_CHANGE_REJECTED' ? e.code : fallback;
      return { ok: false, code, message: e.message, ...(leaderId ? { leaderId } : {}) };
    }
    throw e;
  }

  private expireWaiters(): void {
    const timeout = (replyTo: ActorRef<unknown>): void =>
      replyTo.tell({ ok: false, code: 'TIMEOUT', message: 'not applied in time; the outcome is unknown, retry with the same request id' } satisfies MemberReply);
    for (const [key, list] of this.writes) {
      const live = list.filter((w) => {
        if (w.deadlineTick > this.ticks) return true;
        timeout(w.replyTo);
        return false;
      });
      if (live.length === 0) this.writes.delete(key);
      else this.writes.set(key, live);
    }
    for (const [index, w] of this.confWaiters) {
      // Past the deadline, or its index was applied with another entry (a new leader replaced it).
      if (w.deadlineTick <= this.ticks || index <= this.core.log.applied) {
        this.confWaiters.delete(index);
        timeout(w.replyTo);
      }
    }
    for (const [id, r] of this.reads) {
      if (r.deadlineTick <= this.ticks) {
        this.reads.delete(id);
        timeout(r.replyTo);
      }
    }
  }

  // ---------------------------------------------------------------- Ready loop

  private scheduleFlush(): void {
    if (this.flushing || !this.core.hasReady()) return;
    this.flushing = true;
    void this.flushLoop();
  }

  private async flushLoop(): Promise<void> {
    try {
      while (!this.stopped && this.core.hasReady()) {
        const rd = this.core.ready();
        await this.handleReady(rd);
        if (this.stopped) return;
        this.core.advance(rd);
        this.serveReads();
        await this.maybeSnapshot();
      }
    } catch (e) {
      // The log store failed: this member cannot keep its promises; fail the actor.
      if (!this.stopped) this.ctx.self.tell({ kind: 'fatal', message: `raft ready loop failed: ${(e as Error).message}` });
    } finally {
      this.flushing = false;
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (tracing) trace('rd', rd.entries.at(-1)?.index ?? 0, rd.committedEntries.at(-1)?.index ?? 0);
    // Committed entries are durable on a majority already, so they are applied (and their
    // clients answered) while this Ready's own entries are being persisted, not after.
    // A snapshot or a membership change keeps the strict order: persist, then apply.
    const applyEarly = rd.snapshot === undefined && !rd.committedEntries.some((e) => e.type === 'confChange');
    // A Ready with nothing to persist (at low load: the one that commits) answers its
    // clients before it tells the followers the new commit index.
    const earlyFirst = rd.entries.length > 0 || rd.snapshot !== undefined || !applyEarly;
    if (earlyFirst) this.sendEarly(rd.earlyMessages);
    let saving: Promise<void> | undefined;
    if (!rd.mustSync && rd.entries.length === 0 && !rd.snapshot) {
      // Only the commit index moved: no write at all; it rides along with the next durable save.
      if (rd.hardState) this.deferredHardState = rd.hardState;
    } else if (rd.hardState || rd.entries.length > 0 || rd.snapshot) {
      const hardState = rd.hardState ?? this.deferredHardState;
      this.deferredHardState = undefined;
      if (tracing) trace('save.start', rd.entries.length);
      saving = this.opts.store.save({ hardState, entries: rd.entries, snapshot: rd.snapshot, sync: rd.mustSync });
      // Awaited below; a failure fails the Ready loop there.
      saving.catch(() => undefined);
    }
    if (applyEarly) {
      if (!(await this.applyCommitted(rd))) return;
      if (!earlyFirst) this.sendEarly(rd.earlyMessages);
    }
    if (saving !== undefined) {
      await saving;
      if (tracing) trace('save.end');
    }
    if (this.stopped) return;
    // Votes and acknowledgements: only once what they promise is durable.
    this.sendAll(rd.messages);
    if (tracing) trace('sent', rd.messages.length);
    if (!applyEarly) await this.applyCommitted(rd);
  }

  private sendAll(msgs: readonly Message[]): void {
    for (const m of msgs) this.opts.peerRef(m.to, this.ctx).tell({ kind: 'raft', message: m });
  }

  /** A leader's traffic: entry-less AppendEntries are held back briefly (commitNoticeDelayMs). */
  private sendEarly(msgs: readonly Message[]): void {
    const delay = this.opts.commitNoticeDelayMs ?? D.COMMIT_NOTICE_DELAY_MS;
    for (const m of msgs) {
      if (m.type === 'app' && delay > 0) {
        if (m.entries.length === 0) {
          // A newer notice supersedes an older one: it carries a commit index at least as high.
          this.heldNotices.set(m.to, m);
          continue;
        }
        // Entries carry the commit index too.
        this.heldNotices.delete(m.to);
      }
      this.opts.peerRef(m.to, this.ctx).tell({ kind: 'raft', message: m });
    }
    if (this.heldNotices.size > 0 && !this.noticeTimerArmed) {
      this.noticeTimerArmed = true;
      this.ctx.startTimer('commitNotice', delay, { kind: 'commitNotice' });
    }
  }

  private sendHeldNotices(): void {
    this.noticeTimerArmed = false;
    const held = [...this.heldNotices.values()];
    this.heldNotices.clear();
    // A leader that has stepped down (or moved on to a new term) has nothing to announce.
    if (this.core.state !== 'leader') return;
    this.sendAll(held.filter((m) => m.term === this.core.term));
  }

  /** Applies the Ready's snapshot and committed entries; false if the member stopped meanwhile. */
  private async applyCommitted(rd: Ready): Promise<boolean> {
    if (rd.committedEntries.length > 0 && this.sm.whenWritable !== undefined) {
      // The store's write stall (the LSM engine's) slows apply instead of being ignored.
      let bytes = 0;
      for (const e of rd.committedEntries) bytes += e.data.byteLength;
      const wait = this.sm.whenWritable(bytes);
      if (wait !== null) {
        this.stallsWaited++;
        await wait;
        if (this.stopped) return false;
      }
    }
    if (rd.snapshot) {
      this.sm.restore(rd.snapshot.data);
      this.lastSnapshotIndex = rd.snapshot.meta.index;
    }
    for (const e of rd.committedEntries) this.apply(e);
    for (const rs of rd.readStates) {
      const r = this.reads.get(Buffer.from(rs.context).toString());
      if (r) r.index = rs.index;
    }
    return true;
  }

  private apply(e: Entry): void {
    if (e.type === 'confChange') {
      const confState = this.core.applyConfChange(decodeConfChange(e.data));
      this.confChangesApplied++;
      const w = this.confWaiters.get(e.index);
      if (w) {
        this.confWaiters.delete(e.index);
        w.replyTo.tell({ ok: true, confState } satisfies ConfChangeReply);
      }
      this.sm.apply(e);
      return;
    }
    const out: KvApplied = this.sm.apply(e);
    if (out.clientId === 0 && out.requestId === 0) return;
    const key = waiterKey(out.clientId, out.requestId);
    const list = this.writes.get(key);
    if (!list) return;
    this.writes.delete(key);
    const lead = this.core.lead;
    if (tracing) trace('reply', out.requestId, e.index);
    for (const w of list) w.replyTo.tell({ ok: true, result: out.result, ...(lead ? { leaderId: lead } : {}) } satisfies MemberReply);
  }

  private serveReads(): void {
    const applied = this.core.log.applied;
    for (const [id, r] of this.reads) {
      if (r.index === undefined || r.index > applied) continue;
      this.reads.delete(id);
      r.replyTo.tell({ ok: true, result: r.serve() } satisfies MemberReply);
    }
  }

  private async maybeSnapshot(): Promise<void> {
    const applied = this.core.log.applied;
    const every = this.opts.snapshotEveryEntries ?? D.SNAPSHOT_EVERY_ENTRIES;
    if (applied - this.lastSnapshotIndex < every) return;
    const keep = this.opts.snapshotCatchupEntries ?? D.SNAPSHOT_CATCHUP_ENTRIES;
    this.lastSnapshotIndex = applied;
    await this.opts.store.createSnapshot(applied, this.core.confState(), this.sm.snapshot(), keep);
  }
}

/** recv.<type> (a: last index carried, or the message's index; b: entries) and recv.propose (a: request id). */
function traceReceive(msg: RaftMemberMessage): void {
  if (msg.kind === 'raft') {
    const m = msg.message;
    const entries = m.type === 'app' ? m.entries : undefined;
    const index = entries !== undefined && entries.length > 0 ? entries[entries.length - 1]!.index : 'index' in m ? m.index : 0;
    trace(`recv.${m.type}`, index, entries?.length ?? 0);
  } else if (msg.kind === 'propose') {
    trace('recv.propose', msg.request.requestId);
  }
}

function waiterKey(clientId: ClientKey, requestId: number): string {
  // The type keeps client 1 and client "1" apart.
  return `${typeof clientId}:${clientId}:${requestId}`;
}
