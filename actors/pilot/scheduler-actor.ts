import type { Actor, ActorContext, Props } from '../../runtime/index.js';
import { pilotDefaults } from './defaults.js';
import { EdgeCode, type OffloadDecision } from './edgecode.js';
import type { NodeReport, PlaceReply, SchedulerMessage, SchedulerView } from './messages.js';
import { ResourceQueue } from './priority-queue.js';
import type { ServerStatus } from './server-status.js';

export interface SchedulerOptions {
  /** The node this scheduler runs on. */
  node: string;
  /** A node not heard from for this long is out of the queue (default pilotDefaults.statusTtlMs). */
  statusTtlMs?: number;
}

/**
 * EdgePilot's master: Monitor input (reports), the resource queue
 * (Algorithm 2) and EDGECODE. Its mailbox is the request queue: placement
 * questions are answered one at a time, in arrival order. Every node runs one
 * and every monitor reports to all of them, so a standby has a warm model and
 * queue when it takes over (nodes ask the live scheduler with the most capacity).
 */
export class SchedulerActor implements Actor<SchedulerMessage> {
  readonly code = new EdgeCode();
  readonly queue = new ResourceQueue();
  private readonly lastSeenMs = new Map<string, number>();
  /** Statuses as last reported; the queue holds them minus the cores reserved since. */
  private readonly reported = new Map<string, ServerStatus>();
  /** Offloads sent to a node after its last report, until their predicted end. */
  private readonly reservations = new Map<string, number[]>();
  private readonly decisions = { local: 0, offload: 0, noCandidate: 0, pastHead: 0 };

  constructor(private readonly options: SchedulerOptions) {}

  receive(m: SchedulerMessage, ctx: ActorContext<SchedulerMessage>): void {
    switch (m.type) {
      case 'report':
        this.onReport(m.report, ctx.clock.now());
        return;
      case 'place':
        ctx.reply(this.place(m.owner, m.sizeBytes, ctx.clock.now()));
        return;
      case 'view': {
        this.expire(ctx.clock.now());
        const view: SchedulerView = { type: 'view', scheduler: this.options.node, queue: [...this.queue.ordered()], decisions: { ...this.decisions } };
        ctx.reply(view);
        return;
      }
    }
  }

  /** Algorithm 1, one node's turn: update the model with its compactions, then its place in the queue. */
  onReport(r: NodeReport, nowMs: number): void {
    this.code.setSpeedFactor(r.node, r.speedFactor, r.mergeBytesPerMs);
    for (const rec of r.records) this.code.observe(rec);
    this.lastSeenMs.set(r.node, nowMs);
    // A node that says how many of its running merges are other nodes' has those replaced by
    // this scheduler's reservations (each offload placed there, until its predicted end): the
    // report is up to a period old and a received merge usually ends well within it, so counting
    // it as busy until the next report hid free cores. Otherwise the report counts every merge
    // running there now, reserved ones included, and the reservations start over.
    const fresh = r.runningForOthers !== undefined;
    const status: ServerStatus = {
      node: r.node,
      availableCores: r.availableCores + (r.runningForOthers ?? 0),
      availableBandwidthMBps: r.availableBandwidthMBps,
      compactionPerf: this.code.compactionPerf(r.node),
    };
    this.reported.set(r.node, status);
    if (!fresh) this.reservations.delete(r.node);
    this.refresh(r.node, nowMs);
  }

  /** Brings the queue up to date where a reservation has ended. */
  private applyReservations(nowMs: number): void {
    for (const [node, untils] of this.reservations) if (untils.some((u) => u <= nowMs)) this.refresh(node, nowMs);
  }

  /** A node's queue entry = its last report minus the cores reserved there and not yet predicted done. */
  private refresh(node: string, nowMs: number): void {
    const base = this.reported.get(node);
    const live = (this.reservations.get(node) ?? []).filter((u) => u > nowMs);
    this.reservations.set(node, live);
    if (base !== undefined) this.queue.update({ ...base, availableCores: base.availableCores - live.length });
  }

  /**
   * The Scheduler's steps (3)–(5): candidates from the queue, EDGECODE against
   * the requester, answer. The paper asks EDGECODE about the head of the queue
   * only; here, when the head would not beat local, the next candidates are
   * asked in queue order. Algorithm 2 puts a node with one free core behind
   * every node with more, so without this a fast node's last core lost to a
   * slower head (e.g. the medium node's merge, with high down to one free
   * core and low at the head) and the merge ran locally, slower than on it.
   */
  place(owner: string, sizeBytes: number, nowMs: number): PlaceReply {
    this.expire(nowMs);
    this.applyReservations(nowMs);
    const candidates = this.queue.candidates(owner);
    if (candidates.length === 0) {
      this.decisions.local++;
      this.decisions.noCandidate++;
      return { type: 'placement', target: 'local', scheduler: this.options.node };
    }
    let headDecision: OffloadDecision | undefined;
    for (const c of candidates) {
      const decision = this.code.decide(owner, c, sizeBytes);
      headDecision ??= decision;
      if (!decision.offload) continue;
      this.decisions.offload++;
      if (c !== candidates[0]) this.decisions.pastHead++;
      // Reserve a core until the job's predicted end (or the target's next report, if it does not say
      // what it runs for others), so a burst does not pile onto one node.
      const untils = this.reservations.get(c.node) ?? [];
      untils.push(nowMs + decision.offloadMs);
      this.reservations.set(c.node, untils);
      this.queue.update({ ...c, availableCores: c.availableCores - 1 });
      return { type: 'placement', target: c.node, scheduler: this.options.node, decision };
    }
    this.decisions.local++;
    return { type: 'placement', target: 'local', scheduler: this.options.node, decision: headDecision! };
  }

  private expire(nowMs: number): void {
    const ttl = this.options.statusTtlMs ?? pilotDefaults.statusTtlMs;
    for (const [node, seen] of this.lastSeenMs) {
      if (nowMs - seen > ttl) {
        this.queue.remove(node);
        this.lastSeenMs.delete(node);
        this.reported.delete(node);
        this.reservations.delete(node);
      }
    }
  }
}

export function schedulerProps(options: SchedulerOptions): Props<SchedulerMessage> {
  return { create: () => new SchedulerActor(options) };
}
