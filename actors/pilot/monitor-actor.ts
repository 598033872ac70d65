import type { Actor, ActorContext, ActorRef, Props } from '../../runtime/index.js';
import type { CompactionEvent } from '../compaction/compaction-actor.js';
import { pilotDefaults, pilotTimings } from './defaults.js';
import type { CompactionRecord } from './edgecode.js';
import type { NodeReport, SchedulerMessage } from './messages.js';

/** What the monitor reads of its node's CPU each period. */
export interface NodeProbe {
  availableCores: number;
  /** Merges running here for other nodes (counted in availableCores too). */
  runningForOthers?: number;
  loadPercent: number;
  loadThreads: number;
}

export type MonitorMessage = { type: 'tick' } | { type: 'record'; event: CompactionEvent };

export interface MonitorOptions {
  node: string;
  cores: number;
  speedFactor: number;
  /** Emulated merge speed of one core, bytes per ms (absolute tier speed); unset: the host's real speed. */
  mergeBytesPerMs?: number;
  probe: () => NodeProbe;
  /** Every node's scheduler (the master and the standbys). */
  schedulers: () => readonly ActorRef<SchedulerMessage>[];
  periodMs?: number;
  linkBandwidthMBps?: number;
}

/**
 * A node's half of the Monitor (Algorithm 1): every period, on the actor
 * system's clock, it reports free cores, spare bandwidth, load (co-located
 * work included) and the compactions finished since the last report to every
 * scheduler.
 */
export class MonitorActor implements Actor<MonitorMessage> {
  private records: CompactionRecord[] = [];
  private movedBytes = 0;
  reportsSent = 0;

  constructor(private readonly o: MonitorOptions) {}

  preStart(ctx: ActorContext<MonitorMessage>): void {
    ctx.startTimer('monitor', this.period, { type: 'tick' }, { repeat: true });
    this.report(); // The schedulers learn of a new node at once.
  }

  receive(m: MonitorMessage): void {
    switch (m.type) {
      case 'record': {
        const e = m.event;
        this.records.push({ owner: e.owner, ranOn: e.ranOn, inputBytes: e.inputBytes, computeMs: e.computeMs, transferMs: e.transferMs });
        if (e.ranOn !== e.owner) this.movedBytes += e.inputBytes + e.outputBytes;
        return;
      }
      case 'tick':
        this.report();
        return;
    }
  }

  private get period(): number {
    return this.o.periodMs ?? pilotDefaults.monitorPeriodMs;
  }

  private report(): void {
    const p = this.o.probe();
    const link = this.o.linkBandwidthMBps ?? pilotTimings.linkBandwidthMBps;
    const usedMBps = this.movedBytes / 1e6 / (this.period / 1000);
    const report: NodeReport = {
      node: this.o.node,
      cores: this.o.cores,
      speedFactor: this.o.speedFactor,
      ...(this.o.mergeBytesPerMs !== undefined ? { mergeBytesPerMs: this.o.mergeBytesPerMs } : {}),
      availableCores: p.availableCores,
      ...(p.runningForOthers !== undefined ? { runningForOthers: p.runningForOthers } : {}),
      availableBandwidthMBps: Math.max(0, link - usedMBps),
      loadPercent: p.loadPercent,
      loadThreads: p.loadThreads,
      records: this.records,
    };
    this.records = [];
    this.movedBytes = 0;
    for (const s of this.o.schedulers()) s.tell({ type: 'report', report });
    this.reportsSent++;
  }
}

export function monitorProps(o: MonitorOptions): Props<MonitorMessage> {
  return { create: () => new MonitorActor(o) };
}
