// Runtime benchmark: tells per second and ask round trip in one thread,
// between two worker threads, and between two processes over TCP on loopback.
// Anchor: what Node gives with no actor runtime (one postMessage per message
// between two threads, one write per message on a TCP socket).
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { ActorSystem, ConsoleLogger, type ActorRef } from '../../runtime/index.js';
import { Router } from '../../runtime/router.js';
import { TcpTransport } from '../../runtime/tcp-transport.js';
import { WorkerHost } from '../../runtime/worker-host.js';
import { consumer, echo, pinger, producer, type ConsumerMessage, type PingResult, type PingRun, type ProducerMessage, type TellRunResult } from './actors.js';
import { anchorTcp, anchorThreads, type AnchorResult } from './anchor.js';

interface Sizes {
  reps: number;
  tellsInThread: number;
  tellsThreads: number;
  tellsTcp: number;
  asks: number;
  window: number;
  ackEvery: number;
}

const full: Sizes = { reps: 3, tellsInThread: 3_000_000, tellsThreads: 1_000_000, tellsTcp: 500_000, asks: 20_000, window: 32_768, ackEvery: 1024 };
const quick: Sizes = { reps: 1, tellsInThread: 200_000, tellsThreads: 100_000, tellsTcp: 50_000, asks: 2_000, window: 32_768, ackEvery: 1024 };
/** For the test that proves the benchmark still runs; its figures mean nothing. */
const smoke: Sizes = { reps: 1, tellsInThread: 4096, tellsThreads: 4096, tellsTcp: 4096, asks: 50, window: 2048, ackEvery: 1024 };

const targets = { 'tell-in-thread': 1_000_000, 'tell-threads': 300_000, 'ask-threads-p50-us': 100 };
const machine = { nproc: availableParallelism(), node: process.version };
const actorsModule = new URL('./actors.ts', import.meta.url).href;
const runTimeoutMs = 300_000;

interface Endpoints {
  producer: ActorRef<ProducerMessage>;
  consumer: ActorRef<ConsumerMessage>;
  pinger: ActorRef<PingRun>;
  echo: ActorRef<unknown>;
}

function result(fields: Record<string, unknown>): void {
  console.log(`RESULT ${JSON.stringify({ bench: 'runtime', ...fields, ...machine })}`);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 0): number => Number(x.toFixed(digits));

/** What a ratio line compares: tells/s and ask round trip of one system in one setting. */
interface Figures {
  tellsPerSec: number;
  p50Us: number;
  p99Us: number;
}

/** One line per setting comparing the runtime with its anchor (ratios are what survives a noisy machine). */
function ratio(where: string, ours: Figures, anchorName: string, anchor: Figures): void {
  result({
    system: 'ratio',
    workload: where,
    against: anchorName,
    tells_per_sec_ratio: round(ours.tellsPerSec / anchor.tellsPerSec, 2),
    ask_p50_ratio: round(ours.p50Us / anchor.p50Us, 2),
    ask_p99_ratio: round(ours.p99Us / anchor.p99Us, 2),
  });
}

async function measure(where: string, endpoints: Endpoints, tells: number, sizes: Sizes): Promise<Figures> {
  const count = Math.ceil(tells / sizes.ackEvery) * sizes.ackEvery;
  const rates: number[] = [];
  // One untimed run first (a fifth of the size): JIT warm-up of codec and links, so every timed run measures the steady state.
  const warmupCount = Math.ceil(count / 5 / sizes.ackEvery) * sizes.ackEvery;
  await endpoints.producer.ask<TellRunResult>(
    { kind: 'run', target: endpoints.consumer, count: warmupCount, window: sizes.window, ackEvery: sizes.ackEvery },
    { timeoutMs: runTimeoutMs },
  );
  for (let rep = 0; rep < sizes.reps; rep++) {
    const run = await endpoints.producer.ask<TellRunResult>(
      { kind: 'run', target: endpoints.consumer, count, window: sizes.window, ackEvery: sizes.ackEvery },
      { timeoutMs: runTimeoutMs },
    );
    rates.push((run.count / run.elapsedMs) * 1000);
  }
  result({
    system: 'edgekv',
    workload: `tell-${where}`,
    ops_per_sec: round(median(rates)),
    runs_ops_per_sec: rates.map((r) => round(r)),
    params: { count, warmup: warmupCount, window: sizes.window, ack_every: sizes.ackEvery, message: 'number' },
  });
  const warmup = Math.ceil(sizes.asks / 10);
  const ping = await endpoints.pinger.ask<PingResult>({ target: endpoints.echo, count: sizes.asks, warmup }, { timeoutMs: runTimeoutMs });
  result({
    system: 'edgekv',
    workload: `ask-${where}`,
    ops_per_sec: round((ping.count / ping.elapsedMs) * 1000),
    p50_ms: round(ping.p50Us / 1000, 4),
    p99_ms: round(ping.p99Us / 1000, 4),
    p50_us: round(ping.p50Us, 1),
    p99_us: round(ping.p99Us, 1),
    params: { count: ping.count, warmup, in_flight: 1 },
  });
  progress(`${where}: ${round(median(rates)).toLocaleString()} tells/s, ask p50 ${round(ping.p50Us, 1)} µs p99 ${round(ping.p99Us, 1)} µs`);
  return { tellsPerSec: median(rates), p50Us: ping.p50Us, p99Us: ping.p99Us };
}

function anchorResult(system: string, where: string, anchor: AnchorResult): Figures {
  result({ system, workload: `tell-${where}`, ops_per_sec: round(anchor.tellsPerSec), params: { count: anchor.tells, message: 'number', batching: 'none' } });
  result({
    system,
    workload: `ask-${where}`,
    ops_per_sec: round(1_000_000 / anchor.meanUs),
    p50_ms: round(anchor.p50Us / 1000, 4),
    p99_ms: round(anchor.p99Us / 1000, 4),
    p50_us: round(anchor.p50Us, 1),
    p99_us: round(anchor.p99Us, 1),
    params: { count: anchor.pings, in_flight: 1 },
  });
  progress(`${system} ${where}: ${round(anchor.tellsPerSec).toLocaleString()} msgs/s, round trip p50 ${round(anchor.p50Us, 1)} µs p99 ${round(anchor.p99Us, 1)} µs`);
  return { tellsPerSec: anchor.tellsPerSec, p50Us: anchor.p50Us, p99Us: anchor.p99Us };
}

function progress(line: string): void {
  process.stderr.write(`# ${line}\n`);
}

async function inThread(sizes: Sizes): Promise<Figures> {
  const system = new ActorSystem({ name: 'bench', logger: new ConsoleLogger('bench', 'warn') });
  try {
    return await measure(
      'in-thread',
      {
        producer: system.spawn(producer(), 'producer'),
        consumer: system.spawn(consumer(), 'consumer'),
        pinger: system.spawn(pinger(), 'pinger'),
        echo: system.spawn(echo(), 'echo'),
      },
      sizes.tellsInThread,
      sizes,
    );
  } finally {
    system.terminate();
  }
}

async function workerThreads(sizes: Sizes): Promise<Figures> {
  const system = new ActorSystem({ name: 'bench', logger: new ConsoleLogger('bench', 'warn') });
  const router = new Router(system);
  const [w1, w2] = await Promise.all([
    WorkerHost.start({ router, name: 'w1', logLevel: 'warn' }),
    WorkerHost.start({ router, name: 'w2', logLevel: 'warn' }),
  ]);
  try {
    await WorkerHost.connect(w1, w2);
    const spec = (factory: string) => ({ module: actorsModule, factory });
    const figures = await measure(
      'threads',
      {
        producer: await w1.spawn(spec('producer'), 'producer'),
        consumer: await w2.spawn(spec('consumer'), 'consumer'),
        pinger: await w1.spawn(spec('pinger'), 'pinger'),
        echo: await w2.spawn(spec('echo'), 'echo'),
      },
      sizes.tellsThreads,
      sizes,
    );
    const relayed = router.stats().forwarded;
    if (relayed > 0) progress(`warning: ${relayed} envelopes went through the main thread`);
    return figures;
  } finally {
    await Promise.all([w1.terminate(), w2.terminate()]);
    system.terminate();
  }
}

async function tcpProcesses(sizes: Sizes): Promise<Figures> {
  const secret = randomBytes(32).toString('hex');
  const child = fork(new URL('./peer.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, EDGEKV_BENCH_SECRET: secret },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const system = new ActorSystem({ name: 'bench-tcp', logger: new ConsoleLogger('bench-tcp', 'warn') });
  const transport = new TcpTransport({ router: new Router(system), secret });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m) => resolve((m as { port: number }).port));
      child.once('exit', (code) => reject(new Error(`peer process exited with code ${code}`)));
    });
    await transport.dial(`127.0.0.1:${port}`, { system: 'peer' }).ready;
    return await measure(
      'tcp',
      {
        producer: system.spawn(producer(), 'producer'),
        consumer: system.ref({ system: 'peer', path: 'consumer' }),
        pinger: system.spawn(pinger(), 'pinger'),
        echo: system.ref({ system: 'peer', path: 'echo' }),
      },
      sizes.tellsTcp,
      sizes,
    );
  } finally {
    await transport.close();
    system.terminate();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.disconnect();
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    if (child.exitCode === null) child.kill();
  }
}

const scenarios = ['in-thread', 'threads', 'tcp'] as const;

/** Arguments: `--quick` (seconds, not minutes); `--only threads,tcp` (a subset of in-thread, threads, tcp); `--smoke` (tests only). */
export async function main(args: string[]): Promise<void> {
  const sizes = args.includes('--smoke') ? smoke : args.includes('--quick') ? quick : full;
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',') : [...scenarios];
  const unknown = only.filter((s) => !(scenarios as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; choose from ${scenarios.join(', ')}`);
  progress(`runtime benchmark (${sizes === full ? 'full' : sizes === quick ? 'quick' : 'smoke'}), ${machine.nproc} cores, node ${machine.node}`);
  progress(`targets: ${JSON.stringify(targets)}`);
  if (only.includes('in-thread')) await inThread(sizes);
  if (only.includes('threads')) {
    const ours = await workerThreads(sizes);
    ratio('threads', ours, 'node-postmessage', anchorResult('node-postmessage', 'threads', await anchorThreads(sizes.tellsThreads, sizes.asks)));
  }
  if (only.includes('tcp')) {
    const ours = await tcpProcesses(sizes);
    ratio('tcp', ours, 'node-net', anchorResult('node-net', 'tcp', await anchorTcp(sizes.tellsTcp, sizes.asks)));
  }
}
