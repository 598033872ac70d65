import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './index.js';

describe('raft benchmark (smoke)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('starts a 3-process group on lmdb, drives puts and prints a parseable RESULT line', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await main(['--smoke']);
    const results = lines.filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7)) as Record<string, unknown>);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ bench: 'raft', system: 'edgekv', workload: 'put-4', errors: 0, node: process.version });
    expect(results[0]!.ops_per_sec).toBeGreaterThan(0);
  });
});
