import type { ActorSystem } from '../../runtime/actor-system.js';
import { DeadlineExceededError, UnavailableError } from '../../api/errors.js';
import { EdgeKVError } from '../../runtime/errors.js';
import type { KvRequest, KvResult } from '../raft/kv/commands.js';
import type { MemberReply, RaftMemberMessage, ReadConsistency, StatusReply } from '../raft/member-messages.js';
import { edgePaths } from './contract.js';
import { edgeDefaults, type EdgeTuning } from './defaults.js';

/** A read a member serves (after ReadIndex, or from its own state). */
export type MemberRead = Extract<RaftMemberMessage, { kind: 'get' | 'range' | 'query' }>;

export interface SendOptions {
  /** Absolute deadline on the system's clock. */
  deadlineMs: number;
  /** Ask this member first (e.g. the node's own member). */
  prefer?: string;
  /** Ask only this member (a serializable read of "this member's state"). */
  only?: string;
}

type Failure = 'unreachable' | 'no-leader' | 'not-applied-in-time';

/**
 * Talks to one Raft group (the members' actor-system names, in raft id
 * order: member i has raft id i + 1) from any actor system: follows leader
 * hints, tries the members in turn, backs off while there is no leader, and
 * keeps the request (and its session id) the same on every attempt, so a
 * retried write applies once. Gives up at the deadline with UnavailableError
 * (no leader answered) or DeadlineExceededError (a proposal was accepted but
 * not applied in time: its outcome is unknown).
 */
export class GroupClient {
  private leader: string | undefined;
  private rr = 0;
  private readonly tuning: EdgeTuning;

  constructor(
    private readonly system: ActorSystem,
    readonly groupId: string,
    readonly members: readonly string[],
    tuning: Partial<EdgeTuning> = {},
  ) {
    this.tuning = { ...edgeDefaults, ...tuning };
  }

  /** The member this client believes leads (a hint, for status pages). */
  get knownLeader(): string | undefined {
    return this.leader;
  }

  propose(request: KvRequest, opts: SendOptions): Promise<KvResult> {
    return this.send({ kind: 'propose', request }, opts, `${String(request.command.op)} in group ${this.groupId}`);
  }

  read(message: MemberRead, opts: SendOptions): Promise<KvResult> {
    return this.send(message, opts, `read in group ${this.groupId}`);
  }

  /** Every member's Raft status; undefined for a member that did not answer. */
  async statuses(timeoutMs: number): Promise<Array<StatusReply | undefined>> {
    return Promise.all(
      this.members.map((m) =>
        this.system
          .ref<RaftMemberMessage>({ system: m, path: edgePaths.raft })
          .ask<StatusReply>({ kind: 'status' }, { timeoutMs })
          .catch(() => undefined),
      ),
    );
  }

  private async send(message: RaftMemberMessage, opts: SendOptions, what: string): Promise<KvResult> {
    const clock = this.system.clock;
    let target = opts.only ?? opts.prefer ?? this.leader ?? this.next();
    let failure: Failure = 'unreachable';
    let detail = 'no attempt fitted in the deadline';
    for (;;) {
      const remaining = opts.deadlineMs - clock.now();
      if (remaining <= 0) break;
      let reply: MemberReply;
      const askedAt = clock.now();
      try {
        reply = await this.system
          .ref<RaftMemberMessage>({ system: target, path: edgePaths.raft })
          .ask<MemberReply>(message, { timeoutMs: Math.min(this.tuning.memberAskTimeoutMs, remaining) });
      } catch (e) {
        if (!(e instanceof EdgeKVError)) throw e;
        failure = 'unreachable';
        detail = `${target}: ${e.message}`;
        if (this.leader === target) this.leader = undefined;
        if (opts.only === undefined) target = this.next(target);
        // Refused at once (no route, no actor): wait, or a dead group would spin without time passing.
        if (clock.now() - askedAt < this.tuning.retryBackoffMs) await this.sleep(Math.min(this.tuning.retryBackoffMs, Math.max(0, opts.deadlineMs - clock.now())));
        continue;
      }
      if (reply.ok) {
        if (message.kind === 'propose' || (message.kind !== 'tick' && 'consistency' in message && message.consistency === 'linearizable')) {
          const hinted = reply.leaderId !== undefined ? this.members[reply.leaderId - 1] : undefined;
          this.leader = hinted ?? target;
        }
        return reply.result;
      }
      detail = `${target}: ${reply.code}: ${reply.message}`;
      if (reply.code === 'TIMEOUT') {
        // Accepted but not applied in time (a leader change?): same request again, the session dedups it.
        failure = 'not-applied-in-time';
        continue;
      }
      if (reply.code === 'INVALID_ARGUMENT') throw new EdgeKVError('INVALID_ARGUMENT', detail);
      failure = 'no-leader';
      const hint = reply.leaderId !== undefined ? this.members[reply.leaderId - 1] : undefined;
      if (opts.only !== undefined) {
        await this.sleep(Math.min(this.tuning.retryBackoffMs, remaining));
        continue;
      }
      if (hint !== undefined && hint !== target) {
        this.leader = hint;
        target = hint;
        continue;
      }
      this.leader = undefined;
      target = this.next(target);
      await this.sleep(Math.min(this.tuning.retryBackoffMs, Math.max(0, opts.deadlineMs - clock.now())));
    }
    if (failure === 'not-applied-in-time') {
      throw new DeadlineExceededError(`${what}: not applied before the deadline; the outcome is unknown, retry with the same id (${detail})`);
    }
    throw new UnavailableError(`${what}: no leader reachable before the deadline (${detail})`);
  }

  private next(after?: string): string {
    if (after !== undefined) {
      const i = this.members.indexOf(after);
      if (i >= 0) return this.members[(i + 1) % this.members.length]!;
    }
    return this.members[this.rr++ % this.members.length]!;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.system.clock.setTimeout(resolve, ms));
  }
}
