import fc from 'fast-check';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RealRandom } from '../runtime/random.js';

/**
 * Seed and run count of a property test: `PROPS_SEED` replays a failure
 * exactly, `PROPS_RUNS` overrides the run count (`npm run props:long`).
 */
export function propsParameters(defaultRuns: number): { readonly seed: number; readonly numRuns: number } {
  const seedText = process.env['PROPS_SEED'];
  const runsText = process.env['PROPS_RUNS'];
  const seed = seedText === undefined || seedText === '' ? new RealRandom().int(0x7fffffff) : parseInteger('PROPS_SEED', seedText);
  const numRuns = runsText === undefined || runsText === '' ? defaultRuns : parseInteger('PROPS_RUNS', runsText);
  return { seed, numRuns };
}

/**
 * Runs a fast-check property (sync or async) the project's way: the run count
 * comes from PROPS_RUNS (or the default), a failing run is replayed with
 * PROPS_SEED and PROPS_PATH, and a failure throws with the seed and the one
 * command that replays it. `file` is the test file's path from the repository
 * root, or its `import.meta.url`.
 */
export async function checkProperty<Ts extends [unknown, ...unknown[]]>(
  file: string,
  property: fc.IAsyncPropertyWithHooks<Ts> | fc.IPropertyWithHooks<Ts>,
  defaultRuns: number,
): Promise<void> {
  const { seed, numRuns } = propsParameters(defaultRuns);
  const path = process.env['PROPS_PATH'];
  const details = await fc.check(property as fc.IAsyncProperty<Ts>, {
    seed,
    numRuns: path ? 1 : numRuns,
    ...(path ? { path } : {}),
  });
  if (details.failed) {
    const testFile = file.startsWith('file:') ? relative(process.cwd(), fileURLToPath(file)) : file;
    const replay = `PROPS_SEED=${details.seed} PROPS_PATH=${details.counterexamplePath ?? ''} npx vitest run ${testFile}`;
    const message = [
      `Property failed after ${details.numRuns} run(s); seed ${details.seed}`,
      `Counterexample: ${fc.stringify(details.counterexample)}`,
      `Error: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
      `Replay: ${replay}`,
    ].join('\n');
    console.error(message);
    throw new Error(message, { cause: details.errorInstance });
  }
}

function parseInteger(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(text)}`);
  return n;
}
