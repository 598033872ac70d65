import type { ActorSystem } from '../../runtime/actor-system.js';
import type { Address } from '../../runtime/address.js';
import { AskTimeoutError, EdgeKVError } from '../../runtime/errors.js';
import * as D from './defaults.js';
import { trace, tracing } from './trace.js';
import { RequestOutcomeUnknownError, RequestRejectedError } from './errors.js';
import type { KvCommand, KvResult } from './kv/commands.js';
import type { MemberReply, RaftMemberMessage } from './member-messages.js';
import type { NodeId } from './types.js';

export interface RaftClientOptions {
  readonly askTimeoutMs?: number;
  readonly maxAttempts?: number;
  /**
   * Send each new request to a random member instead of the last known
   * leader: followers forward writes and ReadIndex, and tests use this to
   * exercise those paths (and to catch stale reads served by a follower).
   */
  readonly spreadRequests?: boolean;
  /** Pause before retrying after a refusal (no leader yet, proposal dropped). */
  readonly retryBackoffMs?: number;
}

/**
 * A client of one Raft group, with a session: each request gets a request id
 * that its retries reuse, so a write retried after a timeout or a leader
 * change is applied once. It follows leader hints and otherwise tries the
 * members in turn. One request at a time.
 */
export class RaftClient {
  private clientId = 0;
  private nextRequestId = 1;
  private leader: NodeId | undefined;
  private rr = 0;
  private readonly ids: NodeId[];

  constructor(
    private readonly system: ActorSystem,
    private readonly members: ReadonlyMap<NodeId, Address>,
    private readonly opts: RaftClientOptions = {},
  ) {
    this.ids = [...members.keys()];
  }

  get id(): number {
    return this.clientId;
  }

  async register(): Promise<void> {
    const nonce = 1 + Math.floor(this.system.random.next() * 2 ** 40);
    const r = await this.request({ clientId: 0, requestId: nonce, firstUnacked: 0, command: { op: 'register' } }, 'register');
    if (r.ok && r.op === 'register') this.clientId = r.clientId;
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    await this.write({ op: 'put', key, value });
  }

  async delete(key: string): Promise<void> {
    await this.write({ op: 'delete', key });
  }

  /** Linearizable read (ReadIndex at the leader). */
  async get(key: string): Promise<Uint8Array | null> {
    const r = await this.attempts('get', (to) =>
      this.ask(to, { kind: 'get', key, consistency: 'linearizable' }),
    );
    if (r.ok && r.op === 'get') return r.value === null ? null : new Uint8Array(r.value);
    throw new RequestRejectedError('unexpected', `unexpected answer to get: ${JSON.stringify(r)}`);
  }

  /** Linearizable range read: keys in [start, end) in byte order, at most `limit`. */
  async range(start: string, end: string, limit?: number): Promise<[string, Uint8Array][]> {
    const r = await this.attempts('range', (to) =>
      this.ask(to, { kind: 'range', start, end, ...(limit !== undefined ? { limit } : {}), consistency: 'linearizable' }),
    );
    if (r.ok && r.op === 'range') return r.entries.map(([k, v]) => [k, new Uint8Array(v)]);
    throw new RequestRejectedError('unexpected', `unexpected answer to range: ${JSON.stringify(r)}`);
  }

  private async write(command: KvCommand): Promise<KvResult> {
    if (this.clientId === 0) await this.register();
    const requestId = this.nextRequestId++;
    const res = await this.request({ clientId: this.clientId, requestId, firstUnacked: requestId, command }, command.op);
    return res;
  }

  private async request(request: Extract<RaftMemberMessage, { kind: 'propose' }>['request'], op: string): Promise<KvResult> {
    if (tracing) trace('c.send', request.requestId, this.clientId);
    const r = await this.attempts(op, (to) => this.ask(to, { kind: 'propose', request }));
    if (tracing) trace('c.reply', request.requestId, this.clientId);
    return r;
  }

  private async attempts(op: string, send: (to: NodeId) => Promise<MemberReply>): Promise<KvResult> {
    const max = this.opts.maxAttempts ?? D.CLIENT_MAX_ATTEMPTS;
    let last = 'none';
    if (this.opts.spreadRequests) this.leader = this.ids[this.system.random.int(this.ids.length)];
    for (let attempt = 1; attempt <= max; attempt++) {
      const to = this.leader ?? this.ids[this.rr++ % this.ids.length]!;
      let reply: MemberReply;
      try {
        reply = await send(to);
      } catch (e) {
        if (!(e instanceof AskTimeoutError) && !(e instanceof EdgeKVError)) throw e;
        last = e.message;
        this.leader = undefined;
        continue;
      }
      if (reply.ok) {
        if (!reply.result.ok) {
          throw new RequestRejectedError(reply.result.error, reply.result.message);
        }
        this.leader = reply.leaderId !== undefined && this.members.has(reply.leaderId) ? reply.leaderId : to;
        return reply.result;
      }
      last = `${reply.code}: ${reply.message}`;
      this.leader = reply.code === 'NOT_LEADER' && reply.leaderId !== undefined && reply.leaderId !== to ? reply.leaderId : undefined;
      // No leader yet, or a transfer in progress: give the group an election's worth of time.
      if (this.leader === undefined) await this.sleep(this.opts.retryBackoffMs ?? D.CLIENT_RETRY_BACKOFF_MS);
    }
    throw new RequestOutcomeUnknownError(op, max, last);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.system.clock.setTimeout(resolve, ms));
  }

  private ask(to: NodeId, msg: RaftMemberMessage): Promise<MemberReply> {
    const addr = this.members.get(to)!;
    return this.system.ref<RaftMemberMessage>(addr).ask<MemberReply>(msg, {
      timeoutMs: this.opts.askTimeoutMs ?? D.CLIENT_ASK_TIMEOUT_MS,
    });
  }
}
