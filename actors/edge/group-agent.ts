import { DeadlineExceededError, UnavailableError } from '../../api/errors.js';
import type { Actor, ActorContext, Props } from '../../runtime/actor.js';
import type { ActorSystem } from '../../runtime/actor-system.js';
import { EdgeKVError } from '../../runtime/errors.js';
import type { GroupRequest } from '../gateway/messages.js';
import type { RangeAcquired, RangeChanged, RangeListener, RangeReleased } from '../gateway/range-hooks.js';
import type { ExportPage, SessionsPage } from './commands.js';
import type { ClusterLayout, GroupLayout } from './contract.js';
import { edgeDefaults, type EdgeTuning } from './defaults.js';
import { toHexSpans } from './edge-state-machine.js';
import { MigrationError, RangeMovingError, StaleRequestError } from './errors.js';
import { GroupClient } from './group-client.js';
import { OwnSession, propose, resultError, runCommand, runQuery } from './group-ops.js';
import { globalKey, normalizeSpans, ringSpans, spanContains, subtractSpans, type IdSpan } from './keyspace.js';
import { ringSize, type RingId } from '../gateway/ring-id.js';
import { groupOfGateway } from './layout.js';
import type { AgentErrorCode, AgentReply, GlobalOp } from './protocol.js';

/** Group clients by group id, shared by the agent and the migrator of one gateway. */
export class GroupDirectory {
  private readonly clients = new Map<string, GroupClient>();

  constructor(
    private readonly system: ActorSystem,
    readonly layout: ClusterLayout,
    private readonly tuning: Partial<EdgeTuning> = {},
  ) {}

  client(group: GroupLayout): GroupClient {
    let c = this.clients.get(group.id);
    if (c === undefined) {
      c = new GroupClient(this.system, group.id, group.members, this.tuning);
      this.clients.set(group.id, c);
    }
    return c;
  }
}

export function agentError(error: unknown): { ok: false; code: AgentErrorCode; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RangeMovingError) return { ok: false, code: 'FENCED', message };
  if (error instanceof UnavailableError) return { ok: false, code: 'UNAVAILABLE', message };
  if (error instanceof DeadlineExceededError) return { ok: false, code: 'DEADLINE_EXCEEDED', message };
  if (error instanceof StaleRequestError) return { ok: false, code: 'STALE_REQUEST', message };
  return { ok: false, code: 'INTERNAL', message };
}

/**
 * The group agent lives beside a gateway (its `group` ref): the owner side of
 * the Resource Finder. A routed global request becomes a Raft command or a
 * ReadIndex read in this gateway's group, on the global keyspace; a refusal
 * because the key's range is fenced (moving) comes back as FENCED, which the
 * front door retries. Never awaits inside `receive`.
 */
export class GroupAgent implements Actor<GroupRequest> {
  private readonly tuning: EdgeTuning;

  constructor(
    private readonly group: GroupLayout,
    private readonly directory: GroupDirectory,
    tuning: Partial<EdgeTuning> = {},
    /** False while the key's range is still being recovered into this group (see Migrator.isSettled). */
    private readonly settled: (keyId: RingId) => boolean = () => true,
  ) {
    this.tuning = { ...edgeDefaults, ...tuning };
  }

  static props(group: GroupLayout, directory: GroupDirectory, tuning?: Partial<EdgeTuning>, settled?: (keyId: RingId) => boolean): Props<GroupRequest> {
    return { create: () => new GroupAgent(group, directory, tuning, settled) };
  }

  receive(message: GroupRequest, ctx: ActorContext<GroupRequest>): void {
    const replyTo = ctx.sender;
    if (message.kind !== 'global-request') return;
    void this.serve(message, ctx).then(
      (reply) => replyTo?.tell(reply),
      (error: unknown) => replyTo?.tell(agentError(error)),
    );
  }

  private async serve(m: GroupRequest, ctx: ActorContext<GroupRequest>): Promise<AgentReply<Uint8Array | null>> {
    const op = m.payload as GlobalOp;
    if (!this.settled(m.keyId)) {
      return { ok: false, code: 'FENCED', message: 'the key\'s range is being recovered into this group from a failed gateway\'s group; retry' };
    }
    const key = globalKey(new Uint8Array(m.keyBytes), m.keyId);
    const client = this.directory.client(this.group);
    const deadlineMs = ctx.clock.now() + Math.min(Number(op.timeoutMs) || this.tuning.routeTimeoutMs, this.tuning.routeTimeoutMs);
    switch (op.op) {
      case 'get': {
        const value = await runQuery<Uint8Array | null>(client, { name: 'gget', key }, op.consistency, { deadlineMs });
        return { ok: true, value: value === null ? null : new Uint8Array(value) };
      }
      case 'put':
      case 'delete': {
        const command =
          op.op === 'put'
            ? ({ op: 'custom', name: 'gput', args: { key, value: new Uint8Array(op.value) } } as const)
            : ({ op: 'custom', name: 'gdelete', args: { key } } as const);
        const result = await propose(client, op.clientId, op.requestId, command, { deadlineMs });
        if (!result.ok) return agentError(resultError(result));
        return { ok: true, value: null };
      }
      default:
        return { ok: false, code: 'INTERNAL', message: `unknown global op ${JSON.stringify((op as { op: unknown }).op)}` };
    }
  }
}

/**
 * The data-migration layer of one gateway: the gateway's RangeListener.
 * Every move runs the same steps, each idempotent (a failed hook is retried
 * from the start):
 *  1. fence the range in the old group (through its Raft log: a new leader
 *     keeps it) — from then on it refuses reads and writes there (FENCED);
 *  2. in the new group, `importBegin` (fence there too and drop stale keys),
 *     then the old group's keys (a linearizable export, in pages) and its
 *     sessions (so a write retried after the move is still applied once),
 *     then `importEnd`: the new group serves the range;
 *  3. mark the range moved in the old group; its keys are deleted (`purge`)
 *     at the gateway's next `changed`, when the handover is final. The fence
 *     stays: a request routed there late is refused, not applied.
 * Who moves what: `release` pushes the range to the new owner's group (join
 * of a predecessor, graceful leave); `acquire` pulls only when nobody could
 * push (the predecessor failed, or changed without a handshake). So the keys
 * are in the new group before its gateway serves them.
 */
export class Migrator implements RangeListener {
  private readonly tuning: EdgeTuning;
  private readonly session: OwnSession;
  /** One move at a time: moves of overlapping ranges must not interleave. */
  private tail: Promise<unknown> = Promise.resolve();
  private purging = false;
  private purgeAgain = false;
  /** Moves completed (tests and status). */
  movesCompleted = 0;
  /** What the gateway owned at its last `changed` with a known range. */
  private owned: IdSpan[] | undefined;
  /**
   * Ids the gateway routes here but whose keys are not here yet: its range
   * grew over a failed predecessor's (the gateway serves that at once, and
   * while its predecessor is unknown it accepts any key). The group agent
   * refuses them (FENCED, retried) until the recovering move is done, so no
   * write lands here before the import (which would drop it) and no read
   * answers from an empty range.
   */
  private pending: IdSpan[] = [];
  /** Aborted leaves whose range was brought back (tests). */
  leavesUndone = 0;
  /** Where this gateway's range was pushed by the release of a leave that has not finished yet. */
  private leaveRelease: { spans: IdSpan[]; to: GroupLayout } | undefined;

  constructor(
    private readonly system: ActorSystem,
    private readonly gateway: string,
    private readonly directory: GroupDirectory,
    tuning: Partial<EdgeTuning> = {},
  ) {
    this.tuning = { ...edgeDefaults, ...tuning };
    this.session = new OwnSession(`migrator/${gateway}`, system.random);
  }

  private get layout(): ClusterLayout {
    return this.directory.layout;
  }

  release(e: RangeReleased): Promise<void> {
    const to = groupOfGateway(this.layout, e.newOwner.ref.address.system);
    const from = groupOfGateway(this.layout, this.gateway);
    const spans = ringSpans(e.from, e.to);
    return this.serialized(async () => {
      await this.move(spans, from, to, e.reason);
      if (e.reason !== 'left') return;
      const earlier = this.leaveRelease;
      if (earlier !== undefined && earlier.to.id !== to.id) {
        // The leave went on to the next successor (the first one died mid-handoff): the copy pushed to the
        // first one's group must not be served (nor show in global range reads) by a group that never took over.
        await this.retract(earlier.spans, earlier.to);
      }
      this.leaveRelease = { spans, to };
    });
  }

  /** Fences and deletes a copy of `spans` in `group`. */
  private async retract(spans: IdSpan[], group: GroupLayout): Promise<void> {
    const hex = toHexSpans(spans);
    const client = this.directory.client(group);
    const step = () => ({ deadlineMs: this.system.clock.now() + this.tuning.migrationStepTimeoutMs });
    await runCommand(client, this.session, { name: 'fence', args: { spans: hex } }, step());
    await runCommand(client, this.session, { name: 'markMoved', args: { spans: hex } }, step());
    await runCommand(client, this.session, { name: 'purge', args: {} }, step());
  }

  /** A leave attempt starts: nothing of it to undo yet. */
  beginLeave(): void {
    this.leaveRelease = undefined;
  }

  /**
   * The gateway's leave failed after its release had pushed the range to the
   * would-be successor's group (the handoff was refused): the gateway serves
   * its range again, so bring the keys back (and fence the copy there, which
   * would otherwise show in global range reads).
   */
  async undoLeave(): Promise<void> {
    const pushed = this.leaveRelease;
    if (pushed === undefined) return;
    const own = groupOfGateway(this.layout, this.gateway);
    await this.serialized(() => this.move(pushed.spans, pushed.to, own, 'leave-aborted'));
    this.leaveRelease = undefined;
    this.leavesUndone++;
  }

  acquire(e: RangeAcquired): Promise<void> {
    if (e.reason === 'joined' || e.reason === 'predecessor-left') {
      // The releasing side pushed the range into this group before the handshake let us get here.
      return Promise.resolve();
    }
    const from = groupOfGateway(this.layout, e.previousOwner.ref.address.system);
    const to = groupOfGateway(this.layout, this.gateway);
    const spans = ringSpans(e.from, e.to);
    return this.serialized(async () => {
      await this.move(spans, from, to, e.reason);
      this.pending = subtractSpans(this.pending, spans);
      // The range already routes here and its old gateway is gone: no `changed` will purge the old group, so do it now.
      if (from.id !== to.id) await this.purge(from);
    });
  }

  /** May the group agent serve `keyId` (not in a range still being recovered into this group)? */
  isSettled(keyId: RingId): boolean {
    return !this.pending.some((s) => spanContains(s, keyId));
  }

  private async purge(group: GroupLayout): Promise<void> {
    await runCommand(this.directory.client(group), this.session, { name: 'purge', args: {} }, {
      deadlineMs: this.system.clock.now() + this.tuning.migrationStepTimeoutMs,
    });
  }

  changed(e: RangeChanged): void {
    // Called in the same gateway turn as the range change, before the gateway delivers anything for the new range.
    const whole: IdSpan[] = [{ lo: 0n, hi: ringSize() - 1n }];
    if (e.range === undefined) {
      // Predecessor failed: the gateway accepts any key now; only what it surely owned is served.
      if (e.reason !== 'left') this.pending = normalizeSpans([...this.pending, ...subtractSpans(whole, this.owned ?? [])]);
    } else {
      const now = ringSpans(e.range.from, e.range.to);
      if (e.reason === 'predecessor-failed' || e.reason === 'predecessor-changed') {
        this.pending = normalizeSpans([...this.pending, ...subtractSpans(now, this.owned ?? now)]);
      }
      // Whatever is not ours any more needs no recovery here.
      this.pending = subtractSpans(this.pending, subtractSpans(whole, now));
      this.owned = now;
    }
    this.schedulePurge();
  }

  private serialized(fn: () => Promise<void>): Promise<void> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Moves the global keys of `spans` from group `from` to group `to` (see the class comment). */
  async move(spans: IdSpan[], from: GroupLayout, to: GroupLayout, reason: string): Promise<void> {
    if (from.id === to.id) return;
    const hex = toHexSpans(spans);
    const src = this.directory.client(from);
    const dst = this.directory.client(to);
    const step = () => ({ deadlineMs: this.system.clock.now() + this.tuning.migrationStepTimeoutMs });
    let moved = 0;
    try {
      await runCommand(src, this.session, { name: 'fence', args: { spans: hex } }, step());
      await runCommand(dst, this.session, { name: 'importBegin', args: { spans: hex } }, step());
      let after: string | null = null;
      do {
        const page: ExportPage = await runQuery<ExportPage>(
          src,
          { name: 'export', spans: hex, after, maxBytes: this.tuning.migrationChunkBytes },
          'linearizable',
          step(),
        );
        if (page.entries.length > 0) {
          await runCommand(dst, this.session, { name: 'importChunk', args: { entries: page.entries, sessions: [] } }, step());
          moved += page.entries.length;
        }
        after = page.next;
      } while (after !== null);
      for (let offset = 0; ; offset += this.tuning.migrationSessionsPerChunk) {
        const page = await runQuery<SessionsPage>(
          src,
          { name: 'exportSessions', offset, count: this.tuning.migrationSessionsPerChunk },
          'linearizable',
          step(),
        );
        if (page.sessions.length > 0) {
          await runCommand(dst, this.session, { name: 'importChunk', args: { entries: [], sessions: page.sessions } }, step());
        }
        if (offset + this.tuning.migrationSessionsPerChunk >= page.total) break;
      }
      await runCommand(dst, this.session, { name: 'importEnd', args: { spans: hex } }, step());
      await runCommand(src, this.session, { name: 'markMoved', args: { spans: hex } }, step());
    } catch (error) {
      throw new MigrationError(
        `moving ${reason} range from group ${from.id} to group ${to.id} failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    this.movesCompleted++;
    this.system.log.log('info', 'edge: range moved', { gateway: this.gateway, from: from.id, to: to.id, keys: moved, reason, atMs: this.system.clock.now() });
  }

  /** Deletes the keys of ranges moved out of this gateway's group (retried while the group is unavailable). */
  private schedulePurge(): void {
    if (this.purging) {
      this.purgeAgain = true;
      return;
    }
    this.purging = true;
    const group = groupOfGateway(this.layout, this.gateway);
    const run = async (): Promise<void> => {
      for (let attempt = 1; attempt <= this.tuning.purgeMaxAttempts; attempt++) {
        this.purgeAgain = false;
        try {
          // After any move in flight: a purge must not race the fence it is meant to follow.
          await this.serialized(() => this.purge(group));
          if (!this.purgeAgain) return;
        } catch (error) {
          if (!(error instanceof EdgeKVError)) throw error;
          await new Promise<void>((resolve) => this.system.clock.setTimeout(resolve, this.tuning.purgeRetryMs));
        }
      }
    };
    void run().finally(() => {
      this.purging = false;
    });
  }
}
