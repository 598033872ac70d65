// Loads a topology file: a TypeScript (or JavaScript) module whose default
// export is a topology (`export default defineTopology({...})`), through tsx,
// so a .ts file anywhere imports as it is (outside a `"type": "module"`
// package tsx compiles it as CommonJS; its default export is then one level down).
import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { tsImport } from 'tsx/esm/api';
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
  let exported: unknown;
  try {
    exported = ((await tsImport(file, import.meta.url)) as { default?: unknown }).default;
  } catch (error) {
    throw new TopologyError('', `${file}: cannot load: ${(error as Error).message}`);
  }
  const inner = exported as { default?: unknown; groups?: unknown } | undefined;
  if (typeof inner === 'object' && inner !== null && inner.groups === undefined && inner.default !== undefined) exported = inner.default;
  if (exported === undefined) throw new TopologyError('', `${file}: has no default export (write \`export default defineTopology({...})\`)`);
  try {
    return resolveTopology(validateTopology(exported));
  } catch (error) {
    if (error instanceof TopologyError) throw new TopologyError(error.path, `${error.problem} (in ${file})`);
    throw error;
  }
}
