// `edgekv run <topology>`: every variant of a topology, for real or in the
// simulator, into one results directory, then the summary and the plots.
import { loadTopology } from './load.js';
import { ProgressBar, type ProgressStream } from './progress.js';
import { runReal } from './real/run-real.js';
import type { RunRecord } from './records.js';
import type { ResolvedTopology } from './resolve.js';
import { renderResults, ResultsWriter, type RenderedResults } from './results/index.js';
import { TopologyError } from './validate.js';

export interface RunOptions {
  /** The deterministic simulator instead of a real cluster. */
  sim?: boolean;
  /** Only these variants (default: all, in the file's order). */
  variants?: string[];
  /** Where `<name>/<timestamp>/` goes (default ./results). */
  resultsRoot?: string;
  /** Replaces every phase's duration (e.g. a quick look). */
  phaseDurationMs?: number;
  /** Real runs: keep each cluster's data directory. */
  keepData?: boolean;
  /** Progress bar and lines for people (default: none). */
  progress?: ProgressStream;
  /** Ends the run early (Ctrl-C): the current phase stops, results are still written. */
  stopped?: () => boolean;
}

export interface RunOutcome extends RenderedResults {
  dir: string;
  topology: ResolvedTopology;
}

function pickVariants(t: ResolvedTopology, names: string[] | undefined): ResolvedTopology['variants'] {
  if (names === undefined || names.length === 0) return t.variants;
  return names.map((name) => {
    const v = t.variants.find((x) => x.name === name);
    if (v === undefined) throw new TopologyError('variants', `no variant ${JSON.stringify(name)} (this topology has ${t.variants.map((x) => x.name).join(', ')})`);
    return v;
  });
}

/** Applies run-time overrides to a loaded topology. */
export function withOverrides(t: ResolvedTopology, options: Pick<RunOptions, 'phaseDurationMs'>): ResolvedTopology {
  if (options.phaseDurationMs === undefined || t.workload === undefined) return t;
  const durationMs = options.phaseDurationMs;
  return { ...t, workload: { ...t.workload, phases: t.workload.phases.map((p) => ({ ...p, durationMs })) } };
}

export async function runTopology(fileOrName: string | ResolvedTopology, options: RunOptions = {}): Promise<RunOutcome> {
  const topology = withOverrides(typeof fileOrName === 'string' ? await loadTopology(fileOrName) : fileOrName, options);
  const variants = pickVariants(topology, options.variants);
  const writer = ResultsWriter.create(options.resultsRoot ?? 'results', topology.name);
  const phases = topology.workload?.phases ?? [];
  const bar = options.progress !== undefined ? new ProgressBar(options.progress, phases, variants.length) : undefined;
  const say = (line: string) => bar?.line(line);
  say(`edgekv run ${topology.name}${options.sim === true ? ' (simulated)' : ''}: ${variants.length} variant(s) × ${phases.length} phase(s); results in ${writer.dir}`);
  const sink = (r: RunRecord): void => {
    writer.write(r);
    bar?.record(r);
  };
  try {
    for (const [i, variant] of variants.entries()) {
      bar?.startVariant(variant.name, i);
      if (options.sim === true) {
        say(`[${variant.name}] simulating...`);
        // Loaded only when asked for: a real run does not need the simulator.
        const { runSimulated } = await import('./sim/run-simulated.js');
        await runSimulated(topology, variant, sink, { seed: topology.seed });
      } else {
        await runReal(topology, variant, sink, {
          out: say,
          ...(options.keepData !== undefined ? { keepData: options.keepData } : {}),
          ...(options.stopped !== undefined ? { stopped: options.stopped } : {}),
        });
      }
      bar?.done();
      if (options.stopped?.() === true) break;
    }
  } finally {
    bar?.done();
    writer.close();
  }
  const rendered = await renderResults(writer.dir);
  return { ...rendered, dir: writer.dir, topology };
}
