import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { assertAsyncProperty, assertProperty, propsParameters } from './props-params.js';

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
      assertProperty(fc.property(fc.nat(), () => void runs++), import.meta.url, 5);
      await assertAsyncProperty(fc.asyncProperty(fc.nat(), async () => void runs++), import.meta.url, 7);
      expect(runs).toBe(12);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('names the replay command when a property fails', async () => {
    vi.stubEnv('PROPS_SEED', '42');
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const replay = /Replay: PROPS_SEED=42 npx vitest run props\/linearizability\/props-params\.test\.ts/;
      expect(() => assertProperty(fc.property(fc.nat(), () => false), import.meta.url, 1)).toThrow(replay);
      await expect(assertAsyncProperty(fc.asyncProperty(fc.nat(), async () => false), import.meta.url, 1)).rejects.toThrow(replay);
      expect(quiet).toHaveBeenCalledWith(expect.stringMatching(replay));
    } finally {
      quiet.mockRestore();
      vi.unstubAllEnvs();
    }
  });
});
