// Benchmark dispatcher: `npm run bench -- <name> [args...]` (the `bench`
// script is `tsx bench/run.ts`).
//
// Convention for every benchmark folder: `bench/<name>/index.ts` (or
// `bench/<name>/main.ts`) exports `main(args: string[]): Promise<void>`; the
// dispatcher imports it and passes the remaining arguments (`--quick` asks for
// a small version that runs in seconds). A benchmark prints one line per
// system and workload starting with `RESULT ` followed by a JSON object (see
// /work/shared/BENCHMARKS.md); anything else it prints is for people.
// A module without a `main` export is simply imported (it runs on import).
import { existsSync, readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const benchDir = new URL('./', import.meta.url);
const entries = ['index.ts', 'main.ts'];

function entryOf(name: string): URL | undefined {
  for (const file of entries) {
    const url = new URL(`${name}/${file}`, benchDir);
    if (existsSync(url)) return url;
  }
  return undefined;
}

function available(): string[] {
  return readdirSync(benchDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && entryOf(d.name) !== undefined)
    .map((d) => d.name)
    .sort();
}

const [name, ...args] = process.argv.slice(2);
const entry = name !== undefined && /^[\w-]+$/.test(name) ? entryOf(name) : undefined;
if (entry === undefined) {
  process.stderr.write(
    `usage: npm run bench -- <name> [--quick]\n` +
      (name === undefined ? '' : `unknown benchmark "${name}"\n`) +
      `available: ${available().join(', ') || '(none)'}\n`,
  );
  process.exit(2);
}
const module = (await import(pathToFileURL(entry.pathname).href)) as { main?: (args: string[]) => Promise<void> };
if (typeof module.main === 'function') await module.main(args);
