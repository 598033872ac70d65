import { DeadlineExceededError, UnavailableError } from '../../api/errors.js';
import type {
  ClusterStatus,
  DeleteCall,
  FrontDoor,
  GetCall,
  GroupStatus,
  KeyValue,
  PutCall,
  RangeDeleteCall,
  RangeGetCall,
  WriteId,
} from '../../api/types.js';
import { checkKey, checkRange, checkValue } from '../../api/validate.js';
import type { ActorSystem } from '../../runtime/actor-system.js';
import { EdgeKVError, InvalidArgumentError } from '../../runtime/errors.js';
import type { GatewayMessage, GatewayStatus, RouteReply } from '../gateway/messages.js';
import type { KvCommand, KvResult } from '../raft/kv/commands.js';
import type { GlobalDeletePart, GlobalRangePart, KeyCounts } from './commands.js';
import { fromHexSpans } from './edge-state-machine.js';
import { edgePaths, type ClusterLayout, type GroupLayout } from './contract.js';
import { edgeDefaults, type EdgeTuning } from './defaults.js';
import { RangeMovingError, StaleRequestError } from './errors.js';
import { GroupClient } from './group-client.js';
import { OwnSession, propose, resultError, runQuery } from './group-ops.js';
import { bytesToKey, keyToBytes, localBounds, localKey, ringHex, userKeyOf, type IdSpan } from './keyspace.js';
import { ringSize } from '../gateway/ring-id.js';
import { groupOfGateway, groupOfNode } from './layout.js';
import type { AgentReply, GlobalOp } from './protocol.js';

/**
 * The Placement Protocol of one edge node: the FrontDoor the API server
 * calls. `scope: 'local'` goes to this node's group through its own Raft
 * member (which forwards proposals and ReadIndex to the leader; leader hints
 * are followed, other members tried); `scope: 'global'` goes to this group's
 * gateway, whose Resource Finder routes it to the owner gateway's group
 * agent (other gateways are tried if this one is down). Calls retry until
 * their deadline with the same write id, so a retried write applies once.
 *
 * Global range operations fan out to every group's Raft group directly
 * (ReadIndex at each leader), filter by user key and merge in key order:
 * each group scans all its global keys (global keys are ordered by ring id,
 * not by user key), so the cost is O(all global keys) per call plus a merge,
 * and the result is linearizable per group but not one atomic snapshot
 * across groups.
 */
export class EdgeFrontDoor implements FrontDoor {
  private readonly tuning: EdgeTuning;
  private readonly group: GroupLayout;
  private readonly groups = new Map<string, GroupClient>();
  private readonly session: OwnSession;
  /** Which gateway global requests go to first: this group's, until it fails to answer; then the next one (sticky). */
  private gatewayIndex = 0;

  constructor(
    private readonly system: ActorSystem,
    private readonly node: string,
    private readonly layout: ClusterLayout,
    tuning: Partial<EdgeTuning> = {},
  ) {
    this.tuning = { ...edgeDefaults, ...tuning };
    this.group = groupOfNode(layout, node);
    for (const g of layout.groups) this.groups.set(g.id, new GroupClient(system, g.id, g.members, tuning));
    this.session = new OwnSession(`door/${node}`, system.random);
  }

  async get(call: GetCall, timeoutMs: number): Promise<Buffer | undefined> {
    checkKey(call.key);
    const deadlineMs = this.deadline(timeoutMs);
    if (call.scope === 'global') {
      const value = await this.routeGlobal(call.key, (t) => ({ op: 'get', consistency: call.consistency, timeoutMs: t }), deadlineMs);
      return value === null ? undefined : Buffer.from(value);
    }
    const result = await this.own.read(
      { kind: 'get', key: localKey(call.key), consistency: call.consistency },
      call.consistency === 'serializable' ? { deadlineMs, only: this.node } : { deadlineMs, prefer: this.node },
    );
    if (!result.ok) throw resultError(result);
    if (result.op !== 'get') throw unexpected('get', result);
    return result.value === null ? undefined : Buffer.from(result.value);
  }

  async put(call: PutCall, timeoutMs: number): Promise<void> {
    checkKey(call.key);
    checkValue(call.value);
    const deadlineMs = this.deadline(timeoutMs);
    const id = this.writeId(call.id);
    if (call.scope === 'global') {
      await this.routeGlobal(call.key, (t) => ({ op: 'put', value: call.value, ...id, timeoutMs: t }), deadlineMs);
      return;
    }
    await this.localWrite({ op: 'put', key: localKey(call.key), value: new Uint8Array(call.value) }, id, deadlineMs);
  }

  async delete(call: DeleteCall, timeoutMs: number): Promise<void> {
    checkKey(call.key);
    const deadlineMs = this.deadline(timeoutMs);
    const id = this.writeId(call.id);
    if (call.scope === 'global') {
      await this.routeGlobal(call.key, (t) => ({ op: 'delete', ...id, timeoutMs: t }), deadlineMs);
      return;
    }
    await this.localWrite({ op: 'delete', key: localKey(call.key) }, id, deadlineMs);
  }

  rangeGet(call: RangeGetCall, timeoutMs: number): AsyncIterable<KeyValue> {
    const collect = (): Promise<KeyValue[]> => this.collectRange(call, timeoutMs);
    return {
      async *[Symbol.asyncIterator]() {
        for (const kv of await collect()) yield kv;
      },
    };
  }

  async rangeDelete(call: RangeDeleteCall, timeoutMs: number): Promise<number> {
    checkRange(call.start, call.end);
    const deadlineMs = this.deadline(timeoutMs);
    const id = this.writeId(call.id);
    if (call.scope === 'local') {
      const { start, end } = localBounds(call.start, call.end);
      const result = await this.localWrite({ op: 'deleteRange', start, end }, id, deadlineMs);
      return result.ok && result.op === 'deleteRange' ? result.deleted : 0;
    }
    // Each group gets its own session id for the same write: sessions move with ranges, and one group's
    // record of this delete must not make another group skip its own part. Each group deletes the keys it
    // owns and says which ids it owned then; if those do not cover the ring exactly once, some ids were
    // moving (deleted by no group, or their new owner applied before the keys arrived): another round, with
    // fresh per-round session ids (a retry of the whole call replays the same rounds, each applied once).
    const clock = this.system.clock;
    let deleted = 0;
    for (let round = 0; ; round++) {
      const parts = await Promise.all(
        this.layout.groups.map(async (g) => {
          const result = await propose(
            this.groups.get(g.id)!,
            round === 0 ? `${id.clientId}@${g.id}` : `${id.clientId}@${g.id}#${round}`,
            id.requestId,
            { op: 'custom', name: 'gdeleteRangeOwned', args: { start: bytesToKey(call.start), end: bytesToKey(call.end) } },
            { deadlineMs },
          );
          if (!result.ok) throw resultError(result);
          if (result.op !== 'custom') throw unexpected('custom', result);
          return result.value as GlobalDeletePart;
        }),
      );
      deleted += parts.reduce((n, p) => n + p.deleted, 0);
      if (coversRingOnce(parts.flatMap((p) => fromHexSpans(p.owned)))) return deleted;
      if (clock.now() + this.tuning.globalRetryBackoffMs >= deadlineMs) {
        throw new RangeMovingError('global range delete: some ring ids were moving between groups; retry with the same id');
      }
      await new Promise<void>((resolve) => clock.setTimeout(resolve, this.tuning.globalRetryBackoffMs));
    }
  }

  async status(): Promise<ClusterStatus> {
    const timeoutMs = this.tuning.statusTimeoutMs;
    const ring = (
      await Promise.all(
        this.layout.groups.map(async (g) => {
          try {
            const s = await this.system
              .ref<GatewayMessage>({ system: g.gateway, path: edgePaths.gateway })
              .ask<GatewayStatus>({ kind: 'status' }, { timeoutMs });
            if (s.state !== 'serving' && s.state !== 'leaving') return undefined;
            return {
              gateway: g.gateway,
              group: g.id,
              id: ringHex(s.self.id),
              predecessor: s.predecessor?.ref.address.system ?? undefined,
              successor: s.successors[0]?.ref.address.system ?? undefined,
            };
          } catch {
            return undefined;
          }
        }),
      )
    ).filter((x) => x !== undefined);
    ring.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const groups = await Promise.all(this.layout.groups.map((g) => this.groupStatus(g, timeoutMs)));
    return { node: this.node, ring, groups };
  }

  // ---------------------------------------------------------------- internals

  private get own(): GroupClient {
    return this.groups.get(this.group.id)!;
  }

  private deadline(timeoutMs: number): number {
    if (!(timeoutMs > 0)) throw new DeadlineExceededError(`no time left for the call (timeout ${timeoutMs} ms)`);
    return this.system.clock.now() + timeoutMs;
  }

  private writeId(id: WriteId | undefined): { clientId: string; requestId: number } {
    if (id !== undefined) {
      if (typeof id.clientId !== 'string' || id.clientId.length === 0) throw new InvalidArgumentError('write id needs a non-empty clientId');
      if (!Number.isSafeInteger(id.requestId) || id.requestId < 0) throw new InvalidArgumentError('write id needs a non-negative integer requestId');
      return { clientId: id.clientId, requestId: id.requestId };
    }
    return { clientId: this.session.clientId, requestId: this.session.next() };
  }

  private async localWrite(command: KvCommand, id: { clientId: string; requestId: number }, deadlineMs: number): Promise<KvResult> {
    const result = await propose(this.own, id.clientId, id.requestId, command, { deadlineMs, prefer: this.node });
    if (!result.ok) throw resultError(result);
    return result;
  }

  private async collectRange(call: RangeGetCall, timeoutMs: number): Promise<KeyValue[]> {
    checkRange(call.start, call.end);
    const deadlineMs = this.deadline(timeoutMs);
    const limit = call.limit > 0 ? call.limit : 0;
    if (call.scope === 'local') {
      const { start, end } = localBounds(call.start, call.end);
      const result = await this.own.read(
        { kind: 'range', start, end, ...(limit > 0 ? { limit } : {}), consistency: call.consistency },
        call.consistency === 'serializable' ? { deadlineMs, only: this.node } : { deadlineMs, prefer: this.node },
      );
      if (!result.ok) throw resultError(result);
      if (result.op !== 'range') throw unexpected('range', result);
      return result.entries.map(([k, v]) => ({ key: keyToBytes(userKeyOf(k)), value: Buffer.from(v) }));
    }
    const start = bytesToKey(call.start);
    const end = bytesToKey(call.end);
    // Each group answers with its owned keys and what it owns at that point. The parts count only if they
    // cover the ring exactly once: otherwise some ids were moving between groups (read nowhere, or twice).
    const clock = this.system.clock;
    let parts: GlobalRangePart[];
    for (;;) {
      parts = await Promise.all(
        this.layout.groups.map((g) =>
          runQuery<GlobalRangePart>(this.groups.get(g.id)!, { name: 'grangeOwned', start, end, limit }, call.consistency, { deadlineMs }),
        ),
      );
      if (coversRingOnce(parts.flatMap((p) => fromHexSpans(p.owned)))) break;
      if (clock.now() + this.tuning.globalRetryBackoffMs >= deadlineMs) {
        throw new RangeMovingError('global range read: some ring ids are moving between groups');
      }
      await new Promise<void>((resolve) => clock.setTimeout(resolve, this.tuning.globalRetryBackoffMs));
    }
    const merged = parts.flatMap((p) => p.entries).map(([k, v]) => [userKeyOf(k), v] as const);
    merged.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const out = limit > 0 ? merged.slice(0, limit) : merged;
    return out.map(([k, v]) => ({ key: keyToBytes(k), value: Buffer.from(v) }));
  }

  /**
   * Sends a global request through a gateway (this group's first, then the
   * others) until the owner group answers or the deadline passes. A moving
   * range (FENCED), a ring change or an unavailable group is retried after a
   * pause; each attempt carries the same write id.
   */
  private async routeGlobal(key: Buffer, op: (timeoutMs: number) => GlobalOp, deadlineMs: number): Promise<Uint8Array | null> {
    const clock = this.system.clock;
    const gateways = [this.group.gateway, ...this.layout.groups.map((g) => g.gateway).filter((g) => g !== this.group.gateway)];
    // Built only when an attempt fails: an error captures a stack, too dear for every global operation.
    let last: EdgeKVError | undefined;
    const pause = (): Promise<void> =>
      new Promise((resolve) => clock.setTimeout(resolve, Math.min(this.tuning.globalRetryBackoffMs, Math.max(0, deadlineMs - clock.now()))));
    for (;;) {
      const remaining = deadlineMs - clock.now();
      if (remaining <= 0) throw last ?? new UnavailableError('no gateway answered before the deadline');
      const gateway = gateways[this.gatewayIndex % gateways.length]!;
      // At most half of what is left (but not too little to commit), so a dead gateway leaves time for another.
      const opTimeout = Math.min(remaining, this.tuning.routeTimeoutMs, Math.max(remaining / 2, this.tuning.minRouteAttemptMs));
      let reply: RouteReply;
      const askedAt = clock.now();
      try {
        reply = await this.system
          .ref<GatewayMessage>({ system: gateway, path: edgePaths.gateway })
          .ask<RouteReply>({ kind: 'route', keyBytes: new Uint8Array(key), payload: op(opTimeout) }, { timeoutMs: Math.min(remaining, opTimeout + this.tuning.routeReplyMarginMs) });
      } catch (e) {
        if (!(e instanceof EdgeKVError)) throw e;
        last = new UnavailableError(`gateway ${gateway} did not answer: ${e.message}`);
        if (gateways[this.gatewayIndex % gateways.length] === gateway) this.gatewayIndex++;
        if (clock.now() - askedAt < this.tuning.globalRetryBackoffMs) await pause();
        continue;
      }
      if (reply.kind === 'route-failed') {
        if (reply.code === 'INVALID_ARGUMENT') throw new InvalidArgumentError(reply.reason);
        last = new UnavailableError(`routing through ${gateway} failed: ${reply.code}: ${reply.reason}`);
        if (reply.code === 'GATEWAY_NOT_SERVING' && gateways[this.gatewayIndex % gateways.length] === gateway) this.gatewayIndex++;
        await pause();
        continue;
      }
      const answer = reply.reply as AgentReply<Uint8Array | null>;
      if (answer.ok) return answer.value === null || answer.value === undefined ? null : new Uint8Array(answer.value);
      switch (answer.code) {
        case 'FENCED':
        case 'UNAVAILABLE':
          last = new UnavailableError(answer.message);
          await pause();
          continue;
        case 'DEADLINE_EXCEEDED':
          last = new DeadlineExceededError(answer.message);
          continue;
        case 'STALE_REQUEST':
          throw new StaleRequestError(answer.message);
        default:
          throw new EdgeKVError('INTERNAL', answer.message);
      }
    }
  }

  private async groupStatus(g: GroupLayout, timeoutMs: number): Promise<GroupStatus> {
    const client = this.groups.get(g.id)!;
    const statuses = await client.statuses(timeoutMs);
    let leader: string | undefined;
    let term = 0;
    let commitIndex = 0;
    let leaderTerm = -1;
    statuses.forEach((s, i) => {
      if (s === undefined) return;
      term = Math.max(term, s.term);
      commitIndex = Math.max(commitIndex, s.committed);
      if (s.state === 'leader' && s.term > leaderTerm) {
        leader = g.members[i];
        leaderTerm = s.term;
      }
    });
    let counts: KeyCounts = { local: 0, global: 0, fenced: 0 };
    const answering = g.members.find((_, i) => statuses[i] !== undefined);
    if (answering !== undefined) {
      try {
        counts = await runQuery<KeyCounts>(client, { name: 'counts' }, 'serializable', {
          deadlineMs: this.system.clock.now() + timeoutMs,
          only: leader ?? answering,
        });
      } catch {
        // Counts are best effort on a status page.
      }
    }
    return { group: g.id, members: [...g.members], leader, term, commitIndex, localKeys: counts.local, globalKeys: counts.global };
  }
}

function unexpected(what: string, result: KvResult): EdgeKVError {
  return new EdgeKVError('INTERNAL', `unexpected answer to ${what}: ${JSON.stringify(result)}`);
}

/** Which group a gateway fronts (re-exported for hosts and tests). */
export { groupOfGateway };

/** Do the spans cover every ring id exactly once? */
export function coversRingOnce(spans: readonly IdSpan[]): boolean {
  const sorted = [...spans].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  let next = 0n;
  for (const s of sorted) {
    if (s.lo !== next) return false; // a gap, or an overlap
    next = s.hi + 1n;
  }
  return next === ringSize();
}
