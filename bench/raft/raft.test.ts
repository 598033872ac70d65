import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './index.js';

describe('raft benchmark (smoke)', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ['threads', 'a group of 3 worker threads over MessagePorts'],
    ['processes', 'a group of 3 processes over TCP'],
  ])('--mode=%s: starts %s on lmdb, drives puts and prints a parseable RESULT line', async (mode) => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await main(['--smoke', `--mode=${mode}`]);
    const results = lines.filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7)) as Record<string, unknown>);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ bench: 'raft', system: 'edgekv', mode, workload: 'put-4', errors: 0, node: process.version });
    expect(results[0]!.ops_per_sec).toBeGreaterThan(0);
  });

  it('refuses an unknown --mode', async () => {
    await expect(main(['--smoke', '--mode=fibers'])).rejects.toThrow(/--mode=fibers/);
  });
});
