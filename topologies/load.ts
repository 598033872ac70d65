// Loads a topology file: a TypeScript (or JavaScript) module whose default
// export is a topology (`export default defineTopology({...})`). `edgekv` runs
// under tsx, so .ts files import as they are.
import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolveTopology, type ResolvedTopology } from './resolve.js';
import { TopologyError, validateTopology } from './validate.js';

/** Where the shipped topologies live; `edgekv run edgekv-edge` finds `topologies/edgekv-edge.topology.ts`. */
export const shippedDir = new URL('.', import.meta.url);

/** A path as given, or the name of a shipped topology. */
export function locateTopology(fileOrName: string): string {
  const direct = resolvePath(fileOrName);
  if (existsSync(direct)) return direct;
  const shipped = new URL(`${fileOrName}.topology.ts`, shippedDir);
  if (/^[a-z0-9-]+$/.test(fileOrName) && existsSync(shipped)) return shipped.pathname;
  throw new TopologyError('', `no topology file ${fileOrName} (and no shipped topology of that name in topologies/)`);
}

export async function loadTopology(fileOrName: string): Promise<ResolvedTopology> {
  const file = locateTopology(fileOrName);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    throw new TopologyError('', `${file}: cannot load: ${(error as Error).message}`);
  }
  if (mod.default === undefined) throw new TopologyError('', `${file}: has no default export (write \`export default defineTopology({...})\`)`);
  try {
    return resolveTopology(validateTopology(mod.default));
  } catch (error) {
    if (error instanceof TopologyError) throw new TopologyError(error.path, `${error.problem} (in ${file})`);
    throw error;
  }
}
