// The parent's side of a host: start it (a child process or a worker thread),
// learn when it is ready, stop it (politely, then by force), see it exit.
import { fork } from 'node:child_process';
import type { MessagePort } from 'node:worker_threads';
import type { EdgeNodeMetrics } from '../../actors/edge/contract.js';
import { startTsWorker } from '../../runtime/ts-worker.js';
import { HostFailedError } from '../errors.js';
import { isFromHost, type FromHost, type HostSpec, type TcpWiring, type ThreadBootData, type ToHost } from './host-protocol.js';

export interface HostExit {
  code: number | null;
  signal: string | null;
}

export interface HostHandle {
  readonly name: string;
  /** OS pid of the host (threads: the parent's). */
  readonly pid: number;
  /** Settles once the host serves (rejects with HostFailedError if it fails or exits first). */
  readonly ready: Promise<Extract<FromHost, { type: 'ready' }>>;
  readonly exited: Promise<HostExit>;
  /** Asks the host to stop; kills it if it has not exited within `timeoutMs`. */
  stop(timeoutMs: number): Promise<void>;
  /** Threads only: hands the host a fresh channel to a restarted peer. */
  link?(peer: string, port: MessagePort): void;
  /** Settles once the host says it stopped (after a leave, say) or exits. */
  readonly stopped: Promise<void>;
  /** Crash: SIGKILL for a process, an abrupt terminate for a thread (no goodbye to anyone). */
  kill(): void;
  /** Control messages (links, load, leave); dropped if the host is gone. */
  send(message: Exclude<ToHost, { type: 'start' | 'stop' | 'link' | 'metrics' }>): void;
  /** Edge nodes: their counters (rejects if the host does not answer in time). */
  metrics(timeoutMs: number): Promise<EdgeNodeMetrics>;
}

/** Asks for metrics over a host's control channel and matches the answer by id. */
function metricsAsker(name: string, post: (m: ToHost) => void, subscribe: (listener: (m: unknown) => void) => void) {
  let nextId = 1;
  const waiting = new Map<number, { resolve: (m: EdgeNodeMetrics) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  subscribe((m) => {
    if (!isFromHost(m) || m.type !== 'metrics') return;
    const w = waiting.get(m.id);
    if (w === undefined) return;
    waiting.delete(m.id);
    clearTimeout(w.timer);
    if (m.metrics !== undefined) w.resolve(m.metrics);
    else w.reject(new HostFailedError(name, m.error ?? 'no metrics'));
  });
  return (timeoutMs: number) =>
    new Promise<EdgeNodeMetrics>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new HostFailedError(name, `no metrics within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, { resolve, reject, timer });
      try {
        post({ type: 'metrics', id });
      } catch (error) {
        waiting.delete(id);
        clearTimeout(timer);
        reject(new HostFailedError(name, `cannot ask for metrics: ${(error as Error).message}`));
      }
    });
}

const hostBoot = new URL('./host-boot.mjs', import.meta.url);
const hostMain = new URL('./host-main.ts', import.meta.url);

function readiness(name: string, exited: Promise<HostExit>, subscribe: (listener: (m: unknown) => void) => void) {
  return new Promise<Extract<FromHost, { type: 'ready' }>>((resolve, reject) => {
    subscribe((m) => {
      if (!isFromHost(m)) return;
      if (m.type === 'ready') resolve(m);
      else if (m.type === 'failed') reject(new HostFailedError(name, m.error));
    });
    void exited.then((e) => reject(new HostFailedError(name, `exited while starting (code ${e.code}, signal ${e.signal})`)));
  });
}

async function stopWithin(exited: Promise<HostExit>, timeoutMs: number, ask: () => void, kill: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    ask();
  } catch {
    // Already gone: nothing to ask.
  }
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const result = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') {
    kill();
    await exited;
  }
}

export function startProcessHost(spec: HostSpec, wiring: TcpWiring): HostHandle {
  const child = fork(hostBoot, [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // Keep tsx's and vitest's loader flags out: host-boot.mjs registers tsx itself.
    execArgv: [],
  });
  const name = spec.plan.name;
  const exited = new Promise<HostExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.on('error', () => undefined);
  const ready = readiness(name, exited, (listener) => child.on('message', listener));
  ready.catch(() => undefined);
  // The secret travels over the IPC channel, not argv or the environment.
  child.send({ type: 'start', spec, wiring } satisfies ToHost);
  const post = (m: ToHost): void => {
    if (child.connected) child.send(m);
    else throw new Error('the process is gone');
  };
  return {
    name,
    pid: child.pid ?? -1,
    ready,
    exited,
    stopped: Promise.race([exited.then(() => undefined), new Promise<void>((resolve) => child.on('message', (m) => isFromHost(m) && m.type === 'stopped' && resolve()))]),
    kill: () => child.kill('SIGKILL'),
    send: (m) => {
      if (child.connected) child.send(m);
    },
    metrics: metricsAsker(name, post, (listener) => child.on('message', listener)),
    stop: (timeoutMs) =>
      stopWithin(
        exited,
        timeoutMs,
        () => child.connected && child.send({ type: 'stop' } satisfies ToHost),
        () => child.kill('SIGKILL'),
      ),
  };
}

export function startThreadHost(spec: HostSpec, ports: Record<string, MessagePort>, tcp?: TcpWiring): HostHandle {
  const bootData: ThreadBootData = { spec, ports, ...(tcp !== undefined ? { tcp } : {}) };
  const worker = startTsWorker(hostMain, { workerData: bootData, transferList: Object.values(ports) });
  const name = spec.plan.name;
  const exited = new Promise<HostExit>((resolve) => worker.once('exit', (code) => resolve({ code, signal: null })));
  worker.on('error', (error) => process.stderr.write(`${name}: thread failed: ${error.message}\n`));
  const ready = readiness(name, exited, (listener) => worker.on('message', listener));
  ready.catch(() => undefined);
  const stopped = new Promise<void>((resolve) => worker.on('message', (m) => isFromHost(m) && m.type === 'stopped' && resolve()));
  return {
    name,
    pid: process.pid,
    ready,
    exited,
    stopped: Promise.race([stopped, exited.then(() => undefined)]),
    kill: () => void worker.terminate(),
    send: (m) => worker.postMessage(m),
    metrics: metricsAsker(name, (m) => worker.postMessage(m), (listener) => worker.on('message', listener)),
    stop: async (timeoutMs) => {
      await stopWithin(
        stopped.then(() => ({ code: 0, signal: null })),
        timeoutMs,
        () => worker.postMessage({ type: 'stop' } satisfies ToHost),
        () => undefined,
      );
      await worker.terminate();
      await exited;
    },
    link: (peer, port) => worker.postMessage({ type: 'link', peer, port } satisfies ToHost, [port]),
  };
}
