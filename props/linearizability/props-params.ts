import fc from 'fast-check';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RealRandom } from '../../runtime/random.js';

/**
 * Seed and run count for a property test: `PROPS_SEED` replays a failure
 * exactly, `PROPS_RUNS` overrides the run count (e.g. a long nightly run).
 */
export function propsParameters(defaultRuns: number): { readonly seed: number; readonly numRuns: number } {
  const seedText = process.env['PROPS_SEED'];
  const runsText = process.env['PROPS_RUNS'];
  const seed = seedText === undefined || seedText === '' ? new RealRandom().int(0x7fffffff) : parseInteger('PROPS_SEED', seedText);
  const numRuns = runsText === undefined || runsText === '' ? defaultRuns : parseInteger('PROPS_RUNS', runsText);
  return { seed, numRuns };
}

/**
 * `fc.assert` that says, on failure, how to replay the run:
 * `PROPS_SEED=<seed> npx vitest run <file>`. Pass `import.meta.url` as `testFileUrl`.
 */
export function assertProperty<Ts>(property: fc.IProperty<Ts>, testFileUrl: string, defaultRuns = 100): void {
  const { seed, numRuns } = propsParameters(defaultRuns);
  try {
    fc.assert(property, { seed, numRuns });
  } catch (error) {
    throw withReplay(error, seed, testFileUrl);
  }
}

/** `assertProperty` for `fc.asyncProperty` (simulated clusters, recorders fed by promises). */
export async function assertAsyncProperty<Ts>(property: fc.IAsyncProperty<Ts>, testFileUrl: string, defaultRuns = 100): Promise<void> {
  const { seed, numRuns } = propsParameters(defaultRuns);
  try {
    await fc.assert(property, { seed, numRuns });
  } catch (error) {
    throw withReplay(error, seed, testFileUrl);
  }
}

function withReplay(error: unknown, seed: number, testFileUrl: string): Error {
  const replay = `PROPS_SEED=${seed} npx vitest run ${relative(process.cwd(), fileURLToPath(testFileUrl))}`;
  console.error(`Property failed with seed ${seed}. Replay: ${replay}`);
  return new Error(`${error instanceof Error ? error.message : String(error)}\n\nReplay: ${replay}`, { cause: error });
}

function parseInteger(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(text)}`);
  return n;
}
