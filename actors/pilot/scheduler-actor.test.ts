import { describe, expect, it } from 'vitest';
import type { NodeReport } from './messages.js';
import { SchedulerActor } from './scheduler-actor.js';

const MB = 1_000_000;
const report = (node: string, speedFactor: number, availableCores: number, runningForOthers?: number): NodeReport => ({
  node,
  cores: 8,
  speedFactor,
  mergeBytesPerMs: 10_000 * speedFactor,
  availableCores,
  ...(runningForOthers !== undefined ? { runningForOthers } : {}),
  availableBandwidthMBps: 1000,
  loadPercent: 0,
  loadThreads: 0,
  records: [],
});
const freeCores = (s: SchedulerActor, node: string) => s.queue.get(node)?.availableCores;

describe('SchedulerActor core accounting', () => {
  it("counts a report's received merges by its own reservations, which end at their predicted end", () => {
    const s = new SchedulerActor({ node: 'high' });
    s.onReport(report('low', 0.3, 3), 0);
    // high runs 5 merges, 3 of them for others, at report time: 2 free as reported.
    s.onReport(report('high', 1, 2, 3), 0);
    expect(freeCores(s, 'high')).toBe(5); // those 3 were not placed by this scheduler (or have ended)
    const p = s.place('low', 4 * MB, 10);
    expect(p.target).toBe('high');
    expect(freeCores(s, 'high')).toBe(4);
    // The next report shows the offload running (2 own, 1 for others): the reservation, not the report, counts it.
    s.onReport(report('high', 1, 4, 1), 20);
    expect(freeCores(s, 'high')).toBe(4);
    // Past its predicted end the reservation frees its core before any report says so:
    // the next offload leaves 4 free, not 3.
    expect(s.place('low', 4 * MB, p.decision!.offloadMs + 20).target).toBe('high');
    expect(freeCores(s, 'high')).toBe(4);
  });

  it('without runningForOthers, a report resets the reservations (it counts every running merge)', () => {
    const s = new SchedulerActor({ node: 'high' });
    s.onReport(report('low', 0.3, 3), 0);
    s.onReport(report('high', 1, 6), 0);
    expect(s.place('low', 4 * MB, 10).target).toBe('high');
    expect(freeCores(s, 'high')).toBe(5);
    s.onReport(report('high', 1, 5), 20);
    expect(freeCores(s, 'high')).toBe(5);
  });
});
