import fc from 'fast-check';

/**
 * Runs a fast-check property the project's way: the run count comes from
 * PROPS_RUNS (or the default), a failing run is replayed with PROPS_SEED and
 * PROPS_PATH, and a failure throws with the seed and the one command that
 * replays it.
 */
export async function checkProperty<Ts extends [unknown, ...unknown[]]>(
  file: string,
  property: fc.IAsyncPropertyWithHooks<Ts> | fc.IPropertyWithHooks<Ts>,
  defaultRuns: number,
): Promise<void> {
  const seedEnv = process.env.PROPS_SEED;
  const seed = seedEnv !== undefined ? Number(seedEnv) : Date.now() ^ (Math.random() * 0x7fffffff);
  const runsEnv = process.env.PROPS_RUNS;
  const numRuns = runsEnv !== undefined ? Number(runsEnv) : defaultRuns;
  const path = process.env.PROPS_PATH;
  const details = await fc.check(property as fc.IAsyncProperty<Ts>, {
    seed,
    numRuns: path !== undefined ? 1 : numRuns,
    ...(path !== undefined ? { path } : {}),
  });
  if (details.failed) {
    const replay = `PROPS_SEED=${details.seed} PROPS_PATH=${details.counterexamplePath ?? ''} npx vitest run ${file}`;
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
