import { describe, expect, it } from 'vitest';
import { runPingDemo } from './demo.js';

describe('edgekv up (ping demo)', () => {
  it('pings between two worker threads, reports each second and stops by itself', async () => {
    const lines: string[] = [];
    await runPingDemo({ seconds: 1, out: (line) => lines.push(line) });
    expect(lines[0]).toMatch(/edgekv\.w1\/pinger pings edgekv\.w2\/ponger/);
    const reported = lines.find((l) => /round trips\/s$/.test(l));
    expect(reported).toBeDefined();
    expect(Number(reported!.match(/\] ([\d,]+) round trips/)![1]!.replace(/,/g, ''))).toBeGreaterThan(0);
    expect(lines.at(-1)).toMatch(/^stopping: [\d,]+ round trips in 1 s$/);
  });
});
