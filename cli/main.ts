// The `edgekv` command: `edgekv <command> [options]`, one function per command.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { status as grpcStatus } from '@grpc/grpc-js';
import { ClientCallError, EdgeKVClient } from '../api/client.js';
import type { Consistency, Scope } from '../api/types.js';
import type { LogLevel } from '../runtime/logger.js';
import { loadTopology } from '../topologies/load.js';
import { parseTime } from '../topologies/time.js';
import { defaultEndpoints } from './cluster/data-dir.js';
import { cliDefaults } from './defaults.js';
import { runPingDemo } from './demo.js';
import { UnreachableClusterError, UsageError } from './errors.js';
import { renderStatus, table } from './status-table.js';
import { runReport, runRun } from './run.js';
import { parseTiers } from './tiers.js';
import { runUp } from './up.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Command = { usage: string; help: string; run: (args: string[]) => Promise<void> };

const out = (line: string): void => void process.stdout.write(`${line}\n`);

function parse(args: string[], options: Options, positionals: [min: number, max: number], usage: string) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nusage: edgekv ${usage}`);
  }
  const [min, max] = positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    throw new UsageError(`expected ${min === max ? min : `${min} to ${max}`} argument(s), got ${parsed.positionals.length}\nusage: edgekv ${usage}`);
  }
  return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
}

function wholeNumber(name: string, raw: string | boolean | undefined, min = 1): number | undefined {
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} needs a whole number of at least ${min}, got ${raw}`);
  return n;
}

function oneOf<T extends string>(name: string, raw: string | boolean | undefined, allowed: readonly T[]): T | undefined {
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got ${raw}`);
  return raw as T;
}

const clientOptions: Options = {
  endpoints: { type: 'string' },
  'data-dir': { type: 'string' },
  scope: { type: 'string' },
  'timeout-ms': { type: 'string' },
};
const readOptions: Options = { ...clientOptions, consistency: { type: 'string' } };
const clientFlags = '[--scope local|global] [--endpoints host:port,...] [--data-dir DIR] [--timeout-ms N]';

function clientFor(values: Record<string, string | boolean | undefined>): EdgeKVClient {
  return new EdgeKVClient({ endpoints: endpointsFrom(values), timeoutMs: wholeNumber('timeout-ms', values['timeout-ms']) ?? cliDefaults.clientTimeoutMs });
}

function endpointsFrom(values: Record<string, string | boolean | undefined>): string[] {
  const raw = values.endpoints;
  const endpoints =
    typeof raw === 'string'
      ? raw
          .split(',')
          .map((e) => e.trim())
          .filter((e) => e !== '')
      : defaultEndpoints(typeof values['data-dir'] === 'string' ? values['data-dir'] : cliDefaults.dataDir);
  for (const e of endpoints) if (!/^.+:\d+$/.test(e)) throw new UsageError(`endpoint "${e}" must be host:port`);
  if (endpoints.length === 0) throw new UsageError('--endpoints needs at least one host:port');
  return endpoints;
}

const scopeOf = (v: Record<string, string | boolean | undefined>): Scope => oneOf('scope', v.scope, ['local', 'global'] as const) ?? 'local';
const consistencyOf = (v: Record<string, string | boolean | undefined>): Consistency =>
  oneOf('consistency', v.consistency, ['linearizable', 'serializable'] as const) ?? 'linearizable';

async function withClient(values: Record<string, string | boolean | undefined>, use: (client: EdgeKVClient) => Promise<void>): Promise<void> {
  const client = clientFor(values);
  try {
    await use(client);
  } catch (error) {
    if (error instanceof ClientCallError && (error.grpcCode === grpcStatus.UNAVAILABLE || error.grpcCode === grpcStatus.DEADLINE_EXCEEDED)) {
      const where = typeof values.endpoints === 'string' ? values.endpoints : `the endpoints of ${typeof values['data-dir'] === 'string' ? values['data-dir'] : cliDefaults.dataDir}`;
      throw new UnreachableClusterError(`${error.message}\n(is the cluster running? start it with \`edgekv up\`; tried ${where})`);
    }
    throw error;
  } finally {
    client.close();
  }
}

/** `up --topology`: the topology and the variant to start (default its first). */
async function topologyForUp(file: string, variantName: string | boolean | undefined) {
  const topology = await loadTopology(file);
  const variant = typeof variantName === 'string' ? topology.variants.find((v) => v.name === variantName) : topology.variants[0];
  if (variant === undefined) {
    throw new UsageError(`--variant ${String(variantName)}: ${topology.name} has ${topology.variants.map((v) => v.name).join(', ')}`);
  }
  return { topology, variant };
}

const commands: Record<string, Command> = {
  up: {
    usage:
      'up [--groups N] [--nodes-per-group N] [--topology FILE|NAME [--variant NAME]] [--data-dir DIR] [--base-port P] [--internal-port P] [--host H] [--mode threads|processes] [--log-level L] [--pilot on|off|local] [--tiers NODE=TIER,...] [--no-restart]',
    help: `start a single-host cluster (default ${cliDefaults.groups} groups × ${cliDefaults.nodesPerGroup} edge nodes + gateways, data in ${cliDefaults.dataDir}, gRPC from port ${cliDefaults.basePort}); Ctrl-C stops it`,
    run: async (args) => {
      const { values } = parse(
        args,
        {
          groups: { type: 'string' },
          'nodes-per-group': { type: 'string' },
          'data-dir': { type: 'string' },
          'base-port': { type: 'string' },
          'internal-port': { type: 'string' },
          host: { type: 'string' },
          mode: { type: 'string' },
          'log-level': { type: 'string' },
          pilot: { type: 'string' },
          tiers: { type: 'string' },
          'no-restart': { type: 'boolean' },
          topology: { type: 'string' },
          variant: { type: 'string' },
        },
        [0, 0],
        commands.up!.usage,
      );
      const pilot = oneOf('pilot', values.pilot, ['on', 'off', 'local'] as const);
      const tiers = typeof values.tiers === 'string' ? parseTiers(values.tiers) : undefined;
      if (tiers !== undefined && pilot === 'off') throw new UsageError('--tiers needs EdgePilot on (or --pilot local for the baseline with tiers emulated)');
      const topology = typeof values.topology === 'string' ? await topologyForUp(values.topology, values.variant) : undefined;
      if (topology !== undefined && (values.groups !== undefined || values['nodes-per-group'] !== undefined)) {
        throw new UsageError('--topology names the groups and nodes; leave out --groups and --nodes-per-group');
      }
      if (topology !== undefined && tiers !== undefined) throw new UsageError('--topology names the tiers; leave out --tiers');
      await runUp({
        dataDir: typeof values['data-dir'] === 'string' ? values['data-dir'] : cliDefaults.dataDir,
        groups: wholeNumber('groups', values.groups),
        nodesPerGroup: wholeNumber('nodes-per-group', values['nodes-per-group']),
        basePort: wholeNumber('base-port', values['base-port']),
        internalBasePort: wholeNumber('internal-port', values['internal-port']),
        host: typeof values.host === 'string' ? values.host : undefined,
        mode: oneOf('mode', values.mode, ['threads', 'processes'] as const) ?? cliDefaults.mode,
        logLevel: oneOf<LogLevel>('log-level', values['log-level'], ['debug', 'info', 'warn', 'error'] as const),
        restart: values['no-restart'] !== true,
        // Default on: EdgePilot offloads merges between the edge nodes; off is the local-only baseline.
        // on: EdgePilot places merges; local: every merge on its own node through its emulated tier; off: no EdgePilot at all.
        ...(pilot !== undefined || tiers !== undefined
          ? { pilot: { enabled: pilot !== 'off', ...(pilot !== undefined ? { offload: pilot === 'on' } : {}), ...(tiers !== undefined ? { tiers } : {}) } }
          : {}),
        ...(topology !== undefined ? { topology } : {}),
        out,
      });
      // lmdb or grpc handles of the hosts may linger in threads mode; everything is closed by now.
      process.exit(0);
    },
  },
  run: {
    usage: 'run <topology file or shipped name> [--sim] [--variant NAME[,NAME]] [--results DIR] [--duration TIME] [--keep-data]',
    help: 'run a scripted topology (topologies/README.md): a cluster, its links, faults and workload; writes results/<name>/<time>/ (samples, summary, SVG plots)',
    run: async (args) => {
      const { values, positionals } = parse(
        args,
        { sim: { type: 'boolean' }, variant: { type: 'string' }, results: { type: 'string' }, duration: { type: 'string' }, 'keep-data': { type: 'boolean' } },
        [1, 1],
        commands.run!.usage,
      );
      let phaseDurationMs: number | undefined;
      if (typeof values.duration === 'string') {
        try {
          phaseDurationMs = parseTime(/^\d+(\.\d+)?$/.test(values.duration) ? Number(values.duration) : values.duration);
        } catch (error) {
          throw new UsageError(`--duration ${(error as Error).message}`);
        }
      }
      await runRun(
        positionals[0]!,
        {
          sim: values.sim === true,
          ...(typeof values.variant === 'string' ? { variants: values.variant.split(',') } : {}),
          ...(typeof values.results === 'string' ? { resultsRoot: values.results } : {}),
          ...(phaseDurationMs !== undefined ? { phaseDurationMs } : {}),
          keepData: values['keep-data'] === true,
        },
        out,
      );
      // grpc channels and host handles may linger a moment; everything is written by now.
      process.exit(process.exitCode ?? 0);
    },
  },
  report: {
    usage: 'report <results dir>',
    help: 'redraw the summary and plots of a topology run from its samples.jsonl',
    run: async (args) => {
      const { positionals } = parse(args, {}, [1, 1], commands.report!.usage);
      await runReport(positionals[0]!, out);
    },
  },
  put: {
    usage: `put <key> <value> ${clientFlags}`,
    help: 'write a key',
    run: async (args) => {
      const { values, positionals } = parse(args, clientOptions, [2, 2], commands.put!.usage);
      await withClient(values, async (c) => {
        await c.put(positionals[0]!, positionals[1]!, { scope: scopeOf(values) });
        out('OK');
      });
    },
  },
  get: {
    usage: `get <key> ${clientFlags} [--consistency linearizable|serializable]`,
    help: 'read a key (exit code 1 when it is absent)',
    run: async (args) => {
      const { values, positionals } = parse(args, readOptions, [1, 1], commands.get!.usage);
      await withClient(values, async (c) => {
        const value = await c.get(positionals[0]!, { scope: scopeOf(values), consistency: consistencyOf(values) });
        if (value === undefined) {
          process.stderr.write(`${positionals[0]}: not found (${scopeOf(values)})\n`);
          process.exitCode = 1;
        } else out(value.toString('utf8'));
      });
    },
  },
  del: {
    usage: `del <key> ${clientFlags}`,
    help: 'delete a key',
    run: async (args) => {
      const { values, positionals } = parse(args, clientOptions, [1, 1], commands.del!.usage);
      await withClient(values, async (c) => {
        await c.delete(positionals[0]!, { scope: scopeOf(values) });
        out('OK');
      });
    },
  },
  range: {
    usage: `range <start> [<end>] [--limit N] ${clientFlags} [--consistency linearizable|serializable]`,
    help: 'list keys with start <= key < end (no end: to the last key), one "key<TAB>value" per line',
    run: async (args) => {
      const { values, positionals } = parse(args, { ...readOptions, limit: { type: 'string' } }, [1, 2], commands.range!.usage);
      await withClient(values, async (c) => {
        const pairs = await c.range(positionals[0]!, positionals[1] ?? '', {
          scope: scopeOf(values),
          consistency: consistencyOf(values),
          limit: wholeNumber('limit', values.limit, 0) ?? 0,
        });
        for (const p of pairs) out(`${p.key.toString('utf8')}\t${p.value.toString('utf8')}`);
        process.stderr.write(`(${pairs.length} key${pairs.length === 1 ? '' : 's'})\n`);
      });
    },
  },
  status: {
    usage: 'status [--json] [--endpoints host:port,...] [--data-dir DIR]',
    help: 'show the ring, the groups, their leaders and key counts',
    run: async (args) => {
      const { values } = parse(args, { ...clientOptions, json: { type: 'boolean' } }, [0, 0], commands.status!.usage);
      const endpoints = endpointsFrom(values);
      // Every endpoint on its own, briefly: which nodes answer is part of the picture.
      const probes = await Promise.all(
        endpoints.map(async (endpoint) => {
          const one = new EdgeKVClient({ endpoints: [endpoint], timeoutMs: cliDefaults.statusProbeTimeoutMs });
          try {
            return { endpoint, status: await one.status() };
          } catch (error) {
            return { endpoint, error: (error as Error).message };
          } finally {
            one.close();
          }
        }),
      );
      const answered = probes.find((p) => p.status !== undefined)?.status;
      if (answered === undefined) {
        throw new UnreachableClusterError(`no node answered (tried ${endpoints.join(', ')}); is the cluster running? start it with \`edgekv up\``);
      }
      if (values.json === true) {
        out(JSON.stringify({ ...answered, endpoints: probes.map((p) => ({ endpoint: p.endpoint, node: p.status?.node, up: p.status !== undefined })) }, null, 2));
      } else {
        out(renderStatus(answered));
        out('');
        out(`nodes (${probes.filter((p) => p.status !== undefined).length} of ${probes.length} answer):`);
        out(table(['endpoint', 'node', 'state'], probes.map((p) => [p.endpoint, p.status?.node ?? '?', p.status !== undefined ? 'up' : 'down'])));
      }
    },
  },
  demo: {
    usage: 'demo [--seconds N]',
    help: 'the runtime demo: two worker threads ping each other; Ctrl-C stops it',
    run: async (args) => {
      const { values } = parse(args, { seconds: { type: 'string' } }, [0, 0], commands.demo!.usage);
      await runPingDemo({ seconds: wholeNumber('seconds', values.seconds) });
    },
  },
};

function usage(): string {
  return `usage: edgekv <command> [options]\n\n${Object.values(commands)
    .map((c) => `  edgekv ${c.usage}\n      ${c.help}`)
    .join('\n')}\n`;
}

const [name, ...args] = process.argv.slice(2);
if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
  process.stdout.write(usage());
  if (name === undefined) process.exitCode = 2;
} else if (commands[name] === undefined) {
  process.stderr.write(`unknown command "${name}"\n${usage()}`);
  process.exitCode = 2;
} else {
  try {
    await commands[name].run(args);
  } catch (error) {
    process.stderr.write(`edgekv ${name}: ${(error as Error).message}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
    // A failed `up` has stopped what it started; do not wait on stray handles.
    if (name === 'up') process.exit(process.exitCode);
  }
}
