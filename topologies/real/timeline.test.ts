import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../records.js';
import type { ResolvedEvent } from '../resolve.js';
import { TimelinePlayer } from './timeline.js';

const ev = (atMs: number, label: string): ResolvedEvent => ({ atMs, label, event: { at: atMs / 1000, do: 'heal', label } });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('TimelinePlayer', () => {
  it('plays events in order, one after another; a failure is recorded; what the end cuts off is recorded as not applied', async () => {
    const records: EventRecord[] = [];
    const applied: string[] = [];
    const player = new TimelinePlayer(
      [ev(0, 'first'), ev(5, 'slow'), ev(10, 'fails'), ev(15, 'queued'), ev(60_000, 'later')],
      {
        apply: async (e) => {
          const label = e.label;
          applied.push(String(label));
          if (label === 'slow') await sleep(150);
          if (label === 'fails') throw new Error('boom');
        },
      },
      'v',
      (r) => records.push(r),
      () => 0,
    );
    player.start();
    await sleep(300);
    await player.stop();
    expect(applied).toEqual(['first', 'slow', 'fails', 'queued']);
    expect(records.map((r) => [r.event, r.ok, r.error])).toEqual([
      ['first', true, undefined],
      ['slow', true, undefined],
      ['fails', false, 'boom'],
      ['queued', true, undefined],
      ['later', false, 'not applied: the workload ended first'],
    ]);
  });
});
