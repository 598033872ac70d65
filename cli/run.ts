// `edgekv run <topology>` and `edgekv report <results dir>`.
import { resolve } from 'node:path';
import { renderResults } from '../topologies/results/index.js';
import { runTopology, type RunOptions } from '../topologies/run.js';

export async function runRun(topology: string, options: Omit<RunOptions, 'progress' | 'stopped'>, out: (line: string) => void): Promise<void> {
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\nedgekv run: stopping after this phase (Ctrl-C again to quit at once)...\n');
  };
  process.on('SIGINT', onSignal);
  try {
    const outcome = await runTopology(topology, { ...options, progress: process.stderr, stopped: () => interrupted });
    out(outcome.summary);
    for (const line of outcome.resultLines) out(line);
    out(`results: ${resolve(outcome.dir)}`);
    for (const f of outcome.files) out(`  ${resolve(f)}`);
  } finally {
    process.off('SIGINT', onSignal);
  }
}

export async function runReport(dir: string, out: (line: string) => void): Promise<void> {
  const rendered = await renderResults(dir);
  out(rendered.summary);
  for (const line of rendered.resultLines) out(line);
  for (const f of rendered.files) out(`  ${resolve(f)}`);
}
