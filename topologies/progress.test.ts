import { describe, expect, it } from 'vitest';
import { ProgressBar } from './progress.js';
import type { ResolvedPhase } from './resolve.js';

const phases: ResolvedPhase[] = [
  { name: 'ycsb-A@1', kind: 'ycsb', ycsb: 'A', clients: 1, durationMs: 10_000 },
  { name: 'ycsb-A@10', kind: 'ycsb', ycsb: 'A', clients: 10, durationMs: 10_000 },
];
const tick = (phase: string, t: number, opsPerSec: number) =>
  ({ type: 'tick', variant: 'edge', phase, t, opsPerSec, errorsPerSec: 0, byOp: {} }) as const;

describe('ProgressBar', () => {
  it('shows variant, phase n of m, a bar of the phase time, ops/s and the last event', () => {
    const written: string[] = [];
    const bar = new ProgressBar({ write: (s: string) => written.push(s), isTTY: true, columns: 200 }, phases, 2);
    bar.startVariant('edge', 0);
    bar.record(tick('ycsb-A@1', 1, 100));
    bar.record(tick('ycsb-A@10', 11, 900));
    bar.record(tick('ycsb-A@10', 16, 1234));
    bar.record({ type: 'event', variant: 'edge', t: 16, event: 'crash g1-n1', detail: '', ok: true });
    const text = bar.render();
    expect(text).toContain('edge (1/2)');
    expect(text).toContain('ycsb-A@10 (2/2)');
    expect(text).toContain(`[${'#'.repeat(14)}${'-'.repeat(10)}]`);
    expect(text).toContain('6/10 s');
    expect(text).toContain('1,234 ops/s');
    expect(text).toContain('last event: crash g1-n1');
    expect(written.at(-1)).toContain('\r');
  });

  it('counts the first second of the first phase (its tick has t = 0)', () => {
    const bar = new ProgressBar({ write: () => true, isTTY: true }, phases, 1);
    bar.startVariant('default', 0);
    bar.record(tick('ycsb-A@1', 0, 50));
    expect(bar.render()).toContain('1/10 s');
    expect(bar.render()).toContain('t=1 s');
  });

  it('prints plain lines every few seconds without a terminal', () => {
    const written: string[] = [];
    const bar = new ProgressBar({ write: (s: string) => written.push(s) }, phases, 1);
    bar.startVariant('default', 0);
    for (let t = 1; t <= 12; t++) bar.record(tick('ycsb-A@1', t, 10));
    expect(written.length).toBe(3);
    expect(written.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
  });
});
