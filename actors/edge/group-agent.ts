import { DeadlineExceededError, UnavailableError } from '../../api/errors.js';
import type { Actor, ActorContext, Props } from '../../runtime/actor.js';
import type { ActorSystem } from '../../runtime/actor-system.js';
import type { GroupRequest } from '../gateway/messages.js';
import type { RangeAcquired, RangeChanged, RangeListener, RangeReleased } from '../gateway/range-hooks.js';
import type { ExportPage, OwnershipState, SessionsPage } from './commands.js';
import { OwnershipMap } from './ownership.js';
import { edgePaths, type ClusterLayout, type GroupLayout } from './contract.js';
import { edgeDefaults, type EdgeTuning } from './defaults.js';
import { toHexSpans } from './edge-state-machine.js';
import { MigrationError, RangeMovingError, StaleRequestError } from './errors.js';
import { GroupClient } from './group-client.js';
import { OwnSession, propose, resultError, runCommand, runQuery } from './group-ops.js';
import { globalKey, ringSpans, subtractSpans, type IdSpan } from './keyspace.js';
import type { RingId } from '../gateway/ring-id.js';
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
 * ReadIndex read in this gateway's group, on the global keyspace; the group
 * refuses a key whose ring id it does not own (moving, or owned by another
 * group while the gateways disagree): that comes back as FENCED, which the
 * front door retries. Never awaits inside `receive`.
 */
export class GroupAgent implements Actor<GroupRequest> {
  private readonly tuning: EdgeTuning;

  constructor(
    private readonly group: GroupLayout,
    private readonly directory: GroupDirectory,
    tuning: Partial<EdgeTuning> = {},
    /** An extra gate (false: refuse the key, FENCED); the group's own ownership decides anyway (Migrator.isSettled is always true). */
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
      return { ok: false, code: 'FENCED', message: 'the key\'s range is not served here yet; retry' };
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

/** a ∩ b. */
const intersectSpans = (a: readonly IdSpan[], b: readonly IdSpan[]): IdSpan[] => subtractSpans(a, subtractSpans(a, b));

type Round = 'done' | 'progress' | 'stuck';

/**
 * The data-migration layer of one gateway: the gateway's RangeListener, and
 * a reconciler that pulls into this gateway's group the global ids the
 * gateway believes it owns. The groups are the authority (ownership is
 * replicated state in each group, see ownership.ts and EdgeStateMachine):
 * a move is release (source) → importBegin, chunks, importEnd (target) →
 * complete (source purges), every step guarded by the records, so a pull
 * based on a wrong belief (a falsely suspected gateway, a partition) moves
 * keys to the wrong group for a while — never loses or forks them — and the
 * true owner's gateway pulls them back once the ring has settled.
 *
 * Who moves: always the gateway that wants the ids (pull). `acquire` on a
 * join or a predecessor's graceful leave pulls the range and resolves only
 * once this group owns it (the handshake waits for it); every `changed`, and
 * a timer every `reconcileMs`, runs a round over the gateway's current range.
 * A round also finishes any move it finds half done (a migrator crashed
 * mid-move: the records in the source say which move, to whom, at which
 * epoch) that touches this range, comes to this group, or leaves it.
 * Rounds run one at a time per gateway.
 */
export class Migrator implements RangeListener {
  private readonly tuning: EdgeTuning;
  private readonly session: OwnSession;
  /** One round at a time. */
  private tail: Promise<unknown> = Promise.resolve();
  private queued = false;
  private armed = false;
  private stopped = false;
  /** The gateway is leaving: its successor pulls the range; pulling it back would fight that. */
  private leaving = false;
  /** Moves completed (tests and status). */
  movesCompleted = 0;
  /** Aborted leaves after which this gateway pulled its range back (tests). */
  leavesUndone = 0;
  /** What the gateway believes it owns (its last `changed` with a known range); undefined: nothing. */
  private range: IdSpan[] | undefined;

  constructor(
    private readonly system: ActorSystem,
    private readonly gateway: string,
    private readonly directory: GroupDirectory,
    tuning: Partial<EdgeTuning> = {},
  ) {
    this.tuning = { ...edgeDefaults, ...tuning };
    this.session = new OwnSession(`migrator/${gateway}`, system.random);
  }

  /** What the gateway believes it owns (tests: two overlapping beliefs are the false-suspicion case). */
  get believedRange(): readonly IdSpan[] | undefined {
    return this.range;
  }

  private get layout(): ClusterLayout {
    return this.directory.layout;
  }

  private get own(): GroupLayout {
    return groupOfGateway(this.layout, this.gateway);
  }

  /** Nothing to push: the new owner's gateway pulls (acquire, or its reconciler). */
  release(_e: RangeReleased): Promise<void> {
    return Promise.resolve();
  }

  acquire(e: RangeAcquired): Promise<void> {
    const spans = ringSpans(e.from, e.to);
    if (e.reason === 'joined' || e.reason === 'predecessor-left') {
      // The handshake waits for this: serve the range only once this group owns it (a throw: the gateway retries).
      return this.serialized(async () => {
        if (!(await this.pull(spans))) {
          throw new MigrationError(`the ${e.reason} range is not owned by group ${this.own.id} yet (some of it is moving or unreachable)`);
        }
      });
    }
    // The range routes here already: pull it now, without holding the gateway up (rounds go on until it is here).
    this.kick();
    return Promise.resolve();
  }

  /** A leave attempt starts: stop pulling (the successor pulls this gateway's range). */
  beginLeave(): void {
    this.leaving = true;
  }

  /** The leave failed: this gateway serves its range again, so pull back whatever the successor took. */
  async undoLeave(): Promise<void> {
    if (!this.leaving) return;
    this.leaving = false;
    this.leavesUndone++;
    this.kick();
  }

  /** The gateway stopped (closed or left): no more rounds. */
  stop(): void {
    this.stopped = true;
  }

  /** All global ids are served by the groups' ownership; the agent needs no gate of its own. */
  isSettled(_keyId: RingId): boolean {
    return true;
  }

  changed(e: RangeChanged): void {
    if (e.range !== undefined) this.range = ringSpans(e.range.from, e.range.to);
    // Predecessor unknown: the range only grew; keep pulling what surely is ours.
    else if (e.reason === 'left') this.range = undefined;
    this.arm();
    this.kick();
  }

  private arm(): void {
    if (this.armed) return;
    this.armed = true;
    const tick = (): void => {
      // The gateway was stopped (closed, or left the ring): no more rounds.
      if (this.stopped || this.system.isTerminated || !this.system.has(edgePaths.gateway)) return;
      this.kick();
      this.system.clock.setTimeout(tick, this.tuning.reconcileMs);
    };
    this.system.clock.setTimeout(tick, this.tuning.reconcileMs);
  }

  /** Queues a round over the current range (one waiting at most). */
  private kick(): void {
    if (this.queued || this.stopped) return;
    this.queued = true;
    void this.serialized(async () => {
      this.queued = false;
      const range = this.range;
      if (range === undefined || this.leaving || this.stopped) return;
      await this.pull(range);
    }).catch((error: unknown) => {
      this.system.log.log('debug', 'edge: reconcile round failed; next round retries', {
        gateway: this.gateway,
        error: error instanceof Error ? error.message : String(error),
      });
    });
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private step(): { deadlineMs: number } {
    return { deadlineMs: this.system.clock.now() + this.tuning.migrationStepTimeoutMs };
  }

  private async ownership(group: GroupLayout, timeoutMs: number): Promise<OwnershipMap> {
    const state = await runQuery<OwnershipState>(this.directory.client(group), { name: 'ownership' }, 'linearizable', {
      deadlineMs: this.system.clock.now() + timeoutMs,
    });
    return OwnershipMap.fromRows(state.pieces);
  }

  /** Rounds until this group owns all of `target` (true), or a round cannot get further (false). */
  async pull(target: IdSpan[]): Promise<boolean> {
    for (let i = 0; i < this.tuning.reconcileRoundsPerPull; i++) {
      const r = await this.round(target);
      if (r === 'done') return true;
      if (r === 'stuck') return false;
    }
    return false;
  }

  private async round(target: IdSpan[]): Promise<Round> {
    const me = this.own;
    const mine = await this.ownership(me, this.tuning.migrationStepTimeoutMs);
    const missing = subtractSpans(target, mine.spans('owned'));
    const owned = missing.length === 0;
    if (owned && mine.spans('outgoing').length === 0) return 'done';
    const maps = new Map<string, OwnershipMap>([[me.id, mine]]);
    for (const g of this.layout.groups) {
      if (g.id === me.id) continue;
      try {
        maps.set(g.id, await this.ownership(g, this.tuning.ownershipReadTimeoutMs));
      } catch {
        // Unreachable now: what it holds is pulled in a later round.
      }
    }
    // The start of time: the layout's first group owns every id nobody ever owned.
    const first = this.layout.groups[0]!;
    const firstMap = maps.get(first.id);
    if (firstMap !== undefined && missing.length > 0 && firstMap.slice(missing).some((p) => p.epoch === 0)) {
      await runCommand(this.directory.client(first), this.session, { name: 'genesis', args: {} }, this.step());
      return 'progress';
    }
    let progress = false;
    let failure: unknown;
    const attempt = async (fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
        progress = true;
      } catch (error) {
        failure ??= error;
      }
    };
    // Moves half done: first those coming here, then pulls, then the rest touching this range or leaving this group.
    const halfDone = [...maps].flatMap(([from, m]) => outgoingMoves(m).map((mv) => ({ from, ...mv })));
    const known = (id: string) => this.layout.groups.find((g) => g.id === id);
    for (const mv of halfDone.filter((x) => x.to === me.id)) {
      await attempt(() => this.finishMove(known(mv.from)!, me, mv.epoch, mv.spans, maps.get(me.id)));
    }
    for (const [from, m] of maps) {
      if (from === me.id) continue;
      const want = intersectSpans(missing, m.spans('owned'));
      if (want.length === 0) continue;
      await attempt(async () => {
        const src = known(from)!;
        let epoch: number;
        try {
          epoch = (await runCommand(this.directory.client(src), this.session, { name: 'release', args: { spans: toHexSpans(want), to: me.id } }, this.step())) as number;
        } catch (error) {
          // Refused: some of the ids left that group since we read it (another gateway pulls them too). Re-read.
          if (error instanceof RangeMovingError) return;
          throw error;
        }
        await this.finishMove(src, me, epoch, want, undefined);
      });
    }
    for (const mv of halfDone.filter((x) => x.to !== me.id && (x.from === me.id || intersectSpans(x.spans, target).length > 0))) {
      const to = known(mv.to);
      if (to === undefined) continue;
      await attempt(() => this.finishMove(known(mv.from)!, to, mv.epoch, mv.spans, maps.get(to.id)));
    }
    // Leftovers of this group's earlier moves out do not hold up a range that is here.
    if (owned) return 'done';
    if (progress) return 'progress';
    if (failure !== undefined) throw failure;
    return 'stuck';
  }

  /**
   * Finishes the move `epoch` of `spans` from group `from` to group `to` (the
   * release is done): import into `to`, then `complete` in `from`. Any number
   * of migrators may run it at once; the records make every step idempotent.
   */
  private async finishMove(from: GroupLayout, to: GroupLayout, epoch: number, spans: IdSpan[], toMap: OwnershipMap | undefined): Promise<void> {
    const hex = toHexSpans(spans);
    const src = this.directory.client(from);
    const dst = this.directory.client(to);
    let moved = 0;
    try {
      // The target took these ids over already (a migrator stopped before the source's purge): only `complete` is left.
      const imported = toMap !== undefined && toMap.slice(spans).every((p) => p.epoch >= epoch && !(p.state === 'incoming' && p.epoch === epoch));
      if (!imported) {
        await runCommand(dst, this.session, { name: 'importBegin', args: { spans: hex, epoch, from: from.id } }, this.step());
        let after: string | null = null;
        do {
          let page: ExportPage;
          try {
            page = await runQuery<ExportPage>(src, { name: 'export', spans: hex, epoch, to: to.id, after, maxBytes: this.tuning.migrationChunkBytes }, 'linearizable', this.step());
          } catch (error) {
            // No longer outgoing: the source completed the move, which it does only after the target's importEnd.
            if (error instanceof RangeMovingError) return;
            throw error;
          }
          if (page.entries.length > 0) {
            await runCommand(dst, this.session, { name: 'importChunk', args: { epoch, entries: page.entries, sessions: [] } }, this.step());
            moved += page.entries.length;
          }
          after = page.next;
        } while (after !== null);
        for (let offset = 0; ; offset += this.tuning.migrationSessionsPerChunk) {
          const page = await runQuery<SessionsPage>(src, { name: 'exportSessions', offset, count: this.tuning.migrationSessionsPerChunk }, 'linearizable', this.step());
          if (page.sessions.length > 0) {
            await runCommand(dst, this.session, { name: 'importChunk', args: { epoch, entries: [], sessions: page.sessions } }, this.step());
          }
          if (offset + this.tuning.migrationSessionsPerChunk >= page.total) break;
        }
        const done = await runCommand(dst, this.session, { name: 'importEnd', args: { spans: hex, epoch } }, this.step());
        if (done !== true) throw new MigrationError(`group ${to.id} has not begun the import of move ${epoch}`);
      }
      await runCommand(src, this.session, { name: 'complete', args: { spans: hex, epoch, to: to.id } }, this.step());
    } catch (error) {
      throw new MigrationError(
        `move ${epoch} from group ${from.id} to group ${to.id} failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    this.movesCompleted++;
    this.system.log.log('info', 'edge: range moved', { gateway: this.gateway, from: from.id, to: to.id, epoch, keys: moved, atMs: this.system.clock.now() });
  }
}

/** The half-done moves out of a group: its outgoing ids grouped by (target, epoch). */
function outgoingMoves(m: OwnershipMap): { to: string; epoch: number; spans: IdSpan[] }[] {
  const out = new Map<string, { to: string; epoch: number; spans: IdSpan[] }>();
  for (const p of m.all()) {
    if (p.state !== 'outgoing') continue;
    const key = `${p.peer}@${p.epoch}`;
    const mv = out.get(key) ?? { to: p.peer, epoch: p.epoch, spans: [] };
    mv.spans.push({ lo: p.lo, hi: p.hi });
    out.set(key, mv);
  }
  return [...out.values()];
}
