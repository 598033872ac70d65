import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './index.js';

describe('runtime benchmark (smoke)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('runs every setting and prints one parseable RESULT line per system and workload', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await main(['--smoke']);
    const results = lines.filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice('RESULT '.length)) as Record<string, unknown>);
    const keys = results.map((r) => `${String(r.system)}:${String(r.workload)}`);
    expect(keys).toEqual([
      'edgekv:tell-in-thread',
      'edgekv:ask-in-thread',
      'edgekv:tell-threads',
      'edgekv:ask-threads',
      'node-postmessage:tell-threads',
      'node-postmessage:ask-threads',
      'ratio:threads',
      'edgekv:tell-tcp',
      'edgekv:ask-tcp',
      'node-net:tell-tcp',
      'node-net:ask-tcp',
      'ratio:tcp',
    ]);
    for (const r of results.filter((r) => r.system !== 'ratio')) {
      expect(r).toMatchObject({ bench: 'runtime', nproc: expect.any(Number), node: process.version });
      expect(r.ops_per_sec).toBeGreaterThan(0);
    }
  });
});
