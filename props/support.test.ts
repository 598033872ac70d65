import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { checkProperty, propsParameters } from './support.js';

describe('property test parameters', () => {
  it('takes the seed and run count from PROPS_SEED and PROPS_RUNS', () => {
    vi.stubEnv('PROPS_SEED', '1234');
    vi.stubEnv('PROPS_RUNS', '9');
    try {
      expect(propsParameters(100)).toEqual({ seed: 1234, numRuns: 9 });
      vi.stubEnv('PROPS_SEED', 'abc');
      expect(() => propsParameters(100)).toThrow(/PROPS_SEED must be an integer/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('runs sync and async properties the requested number of times', async () => {
    vi.stubEnv('PROPS_RUNS', '');
    try {
      let runs = 0;
      await checkProperty(import.meta.url, fc.property(fc.nat(), () => void runs++), 5);
      await checkProperty(import.meta.url, fc.asyncProperty(fc.nat(), async () => void runs++), 7);
      expect(runs).toBe(12);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('names the replay command when a property fails, and the command replays it', async () => {
    vi.stubEnv('PROPS_SEED', '42');
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const replay = /Replay: PROPS_SEED=42 PROPS_PATH=(\S*) npx vitest run props\/support\.test\.ts/;
      const failing = () => fc.property(fc.nat(), (n) => n < 1000);
      const error = (await checkProperty(import.meta.url, failing(), 100).catch((e: unknown) => e)) as Error;
      expect(error.message).toMatch(replay);
      expect(quiet).toHaveBeenCalledWith(expect.stringMatching(replay));
      // The printed path replays exactly the shrunk counterexample, in one run.
      vi.stubEnv('PROPS_PATH', replay.exec(error.message)![1]!);
      const again = (await checkProperty("props/support.test.ts", failing(), 100).catch((e: unknown) => e)) as Error;
      expect(again.message).toMatch(/after 1 run\(s\)/);
      expect(again.message).toMatch(/Counterexample: \[1000\]/);
    } finally {
      quiet.mockRestore();
      vi.unstubAllEnvs();
    }
  });
});
