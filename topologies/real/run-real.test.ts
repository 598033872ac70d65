// A topology run for real: hosts as threads and a process, links emulated,
// a crash, a restart and a partition on the timeline, YCSB A through gRPC.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventRecord, NodeRecord, PhaseRecord, RunRecord, TickRecord } from '../records.js';
import { resolveTopology } from '../resolve.js';
import { readRecords } from '../results/index.js';
import { runTopology } from '../run.js';
import { defineTopology } from '../schema.js';
import { validateTopology } from '../validate.js';

const resultsRoot = mkdtempSync(join(tmpdir(), 'edgekv-run-test-'));
afterAll(() => rmSync(resultsRoot, { recursive: true, force: true }));

const topology = resolveTopology(
  validateTopology(
    defineTopology({
      name: 'real-small',
      placement: 'thread',
      groups: [
        { id: 'g1', nodes: ['a1', { name: 'a2', placement: 'process' }, 'a3'] },
        { id: 'g2', nodes: ['b1'] },
      ],
      ports: { base: 17_501, internal: 17_601 },
      links: [
        { between: ['*', '*'], latencyMs: 40 },
        { between: ['client', '*'], latencyMs: 10 },
      ],
      timeline: [
        { at: 1, do: 'crash', node: 'a3' },
        { at: 1.5, do: 'partition', sides: [['b1'], ['g1-gw', 'g2-gw']], label: 'b1 cut off' },
        { at: 2.5, do: 'heal' },
        // Last: a restart can take seconds on a loaded machine, and events queue behind it.
        { at: 3, do: 'restart', node: 'a3' },
      ],
      workload: { kind: 'ycsb', workload: 'A', records: 100, clients: 4, duration: '8s' },
    }),
  ),
);

describe('edgekv run, for real', () => {
  let records: RunRecord[] = [];
  let files: string[] = [];

  it('runs the topology and writes samples, a summary and plots', async () => {
    const outcome = await runTopology(topology, { resultsRoot });
    records = readRecords(outcome.dir);
    files = readdirSync(outcome.dir);
    expect(outcome.summary).toContain('ycsb-A@4');
    expect(outcome.resultLines[0]).toMatch(/^RESULT \{"bench":"topology:real-small"/);
  }, 120_000);

  it('records the run, its phases and its ticks', () => {
    expect(files).toEqual(expect.arrayContaining(['samples.jsonl', 'summary.json', 'summary.md', 'throughput.svg', 'latency.svg', 'stalls.svg', 'offload.svg']));
    const meta = records.find((r) => r.type === 'meta');
    expect(meta).toMatchObject({ mode: 'real', topology: 'real-small', variant: 'default' });
    const ticks = records.filter((r): r is TickRecord => r.type === 'tick');
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    const phase = records.find((r): r is PhaseRecord => r.type === 'phase')!;
    expect(phase.ops).toBeGreaterThan(20);
    expect(phase.clients).toBe(4);
  });

  it('emulates the links: every write crosses the 40 ms node links at least twice and the 10 ms client link both ways', () => {
    const phase = records.find((r): r is PhaseRecord => r.type === 'phase')!;
    expect(phase.byOp.update!.p50Ms).toBeGreaterThanOrEqual(2 * 40 + 2 * 10);
    expect(phase.byOp.read!.p50Ms).toBeGreaterThanOrEqual(2 * 10);
  });

  it('plays the timeline: crash, partition, heal, restart', () => {
    const events = records.filter((r): r is EventRecord => r.type === 'event');
    expect(events.map((e) => [e.event, e.ok, e.error])).toEqual([
      ['crash a3', true, undefined],
      ['b1 cut off', true, undefined],
      ['heal', true, undefined],
      ['restart a3', true, undefined],
    ]);
    const a3 = records.filter((r): r is NodeRecord => r.type === 'node' && r.node === 'a3');
    expect(a3.some((r) => !r.up)).toBe(true);
    expect(a3.at(-1)!.up).toBe(true);
    const b1 = records.filter((r): r is NodeRecord => r.type === 'node' && r.node === 'b1');
    expect(b1.at(-1)).toMatchObject({ up: true, compactions: expect.any(Object) });
    expect(typeof b1.at(-1)!.stallMs).toBe('number');
  });
});
