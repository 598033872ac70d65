// Entry of a cluster host: a worker thread of `edgekv up --mode threads`, or a
// child process of `edgekv up --mode processes` (started through
// host-boot.mjs). Boots one edge node or gateway, says `ready`, and stops when
// the parent says `stop` — or, in a process, when the parent is gone (no
// orphans after `up` is killed) or on SIGTERM. SIGINT is left to the parent:
// Ctrl-C reaches the whole process group, and the parent stops hosts in order.
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { TcpTransport } from '../../runtime/tcp-transport.js';
import { WorkerLink } from '../../runtime/worker-link.js';
import type { Router } from '../../runtime/router.js';
import type { FromHost, HostSpec, TcpWiring, ThreadBootData, ToHost } from './host-protocol.js';
import { RunningHost, type Wire } from './host-runtime.js';

function tcpWire(spec: HostSpec, wiring: TcpWiring): Wire {
  return async (router: Router) => {
    const transport = new TcpTransport({ router, secret: wiring.secret });
    await transport.listen(spec.plan.internalPort, spec.bindHost);
    // Every host dials every peer: messages to a peer queue until it is up, and
    // a dialed link redials by itself when the peer restarts.
    for (const peer of wiring.peers) transport.dial(peer.address, { system: peer.name });
    return () => transport.close();
  };
}

function threadWire(spec: HostSpec, ports: Record<string, MessagePort>, tcp: TcpWiring | undefined, onRouter: (router: Router) => void): Wire {
  return async (router: Router) => {
    for (const [peer, port] of Object.entries(ports)) router.addRoute(peer, new WorkerLink(router, port, `thread ${peer}`));
    // Peers that are processes (a topology mixing placements) are reached over TCP.
    const closeTcp = tcp !== undefined ? await tcpWire(spec, tcp)(router) : undefined;
    onRouter(router);
    return async () => {
      await closeTcp?.();
      router.close();
    };
  };
}

/** Control messages beyond start/stop/link: links, load, metrics, leave. */
function control(host: RunningHost | undefined, name: string, m: ToHost, send: (m: FromHost) => void, stop: () => void): void {
  if (host === undefined) {
    if (m.type === 'metrics') send({ type: 'metrics', name, id: m.id, error: 'not started yet' });
    return;
  }
  try {
    if (m.type === 'links') host.setLinks(m.links);
    else if (m.type === 'load') host.setLoad(m.threads);
    else if (m.type === 'metrics') {
      host.metrics().then(
        (metrics) => send({ type: 'metrics', name, id: m.id, metrics }),
        (error: unknown) => send({ type: 'metrics', name, id: m.id, error: describe(error) }),
      );
    } else if (m.type === 'leave') {
      host.leave().then(stop, (error: unknown) => {
        host.system.log.log('error', 'leave failed', { error: describe(error) });
        stop();
      });
    }
  } catch (error) {
    host.system.log.log('error', `${m.type} failed`, { error: describe(error) });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function runInThread(): Promise<void> {
  const port = parentPort!;
  const boot = workerData as ThreadBootData;
  const name = boot.spec.plan.name;
  const send = (m: FromHost): void => port.postMessage(m);
  let router: Router | undefined;
  let host: RunningHost | undefined;
  let stopRequested = false;
  let failed = false;
  const stop = async (): Promise<void> => {
    stopRequested = true;
    if (failed) send({ type: 'stopped', name });
    if (host === undefined) return;
    await host.stop().catch((error: unknown) => host?.system.log.log('error', 'stop failed', { error: describe(error) }));
    send({ type: 'stopped', name });
  };
  port.on('message', (m: ToHost) => {
    if (m.type === 'stop') void stop();
    else if (m.type === 'link') router?.addRoute(m.peer, new WorkerLink(router, m.port, `thread ${m.peer}`));
    else control(host, name, m, send, () => void stop());
  });
  try {
    host = await RunningHost.start(boot.spec, threadWire(boot.spec, boot.ports, boot.tcp, (r) => (router = r)));
    send({ type: 'ready', name, pid: process.pid, apiPort: host.apiPort });
    if (stopRequested) await stop();
  } catch (error) {
    failed = true;
    send({ type: 'failed', name, error: describe(error) });
    if (stopRequested) send({ type: 'stopped', name });
  }
}

async function runInProcess(): Promise<void> {
  if (process.send === undefined) {
    process.stderr.write('host-main: start me through `edgekv up` (needs an IPC channel to the parent)\n');
    process.exit(2);
  }
  const send = (m: FromHost): void => {
    if (process.connected) process.send!(m);
  };
  let name = '?';
  let host: RunningHost | undefined;
  let stopping = false;
  const stopAndExit = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await host?.stop();
      send({ type: 'stopped', name });
    } catch (error) {
      process.stderr.write(`${name}: stop failed: ${describe(error)}\n`);
    }
    // lmdb and grpc may keep handles; everything durable is closed by now.
    setImmediate(() => process.exit(0));
  };
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => void stopAndExit());
  process.on('disconnect', () => void stopAndExit());
  process.on('message', (m: ToHost) => {
    if (m.type === 'stop') {
      void stopAndExit();
    } else if (m.type !== 'start' && m.type !== 'link') {
      control(host, name, m, send, () => void stopAndExit());
    } else if (m.type === 'start' && host === undefined) {
      name = m.spec.plan.name;
      RunningHost.start(m.spec, tcpWire(m.spec, m.wiring)).then(
        (started) => {
          host = started;
          if (stopping) {
            stopping = false;
            void stopAndExit();
            return;
          }
          send({ type: 'ready', name, pid: process.pid, apiPort: started.apiPort });
        },
        (error: unknown) => {
          send({ type: 'failed', name, error: describe(error) });
          setTimeout(() => process.exit(1), 100);
        },
      );
    }
  });
}

if (isMainThread) await runInProcess();
else await runInThread();
