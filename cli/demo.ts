// `edgekv up` until the cluster exists: two worker threads ping each other
// over a direct channel; the main thread prints round trips per second.
import { ActorSystem, ConsoleLogger } from '../runtime/index.js';
import { Router } from '../runtime/router.js';
import { WorkerHost } from '../runtime/worker-host.js';
import type { PingerMessage, PongerMessage } from './demo-actors.js';

export interface DemoOptions {
  /** Stop by itself after this many seconds; without it, run until SIGINT. */
  seconds?: number;
  out?: (line: string) => void;
}

const demoActors = new URL('./demo-actors.ts', import.meta.url).href;

export async function runPingDemo(options: DemoOptions = {}): Promise<void> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const system = new ActorSystem({ name: 'edgekv', logger: new ConsoleLogger('edgekv') });
  const router = new Router(system);
  const [w1, w2] = await Promise.all([WorkerHost.start({ router, name: 'w1' }), WorkerHost.start({ router, name: 'w2' })]);
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSigint = (): void => stop();
  process.once('SIGINT', onSigint);
  let ticker: NodeJS.Timeout | undefined;
  try {
    await WorkerHost.connect(w1, w2);
    const ponger = await w2.spawn<PongerMessage>({ module: demoActors, factory: 'ponger' }, 'ponger');
    const pinger = await w1.spawn<PingerMessage>({ module: demoActors, factory: 'pinger' }, 'pinger');
    out(`edgekv demo: ${pinger} pings ${ponger} over a direct worker channel (Ctrl-C to stop)`);
    pinger.tell({ kind: 'start', target: ponger });
    let total = 0;
    let second = 0;
    ticker = setInterval(() => {
      void pinger.ask<number>({ kind: 'report' }, { timeoutMs: 1000 }).then(
        (roundTrips) => {
          total += roundTrips;
          out(`[${String(++second).padStart(3)}s] ${roundTrips.toLocaleString('en-US')} round trips/s`);
          if (options.seconds !== undefined && second >= options.seconds) stop();
        },
        (error: unknown) => out(`report failed: ${(error as Error).message}`),
      );
    }, 1000);
    await stopped;
    out(`stopping: ${total.toLocaleString('en-US')} round trips in ${second} s`);
  } finally {
    clearInterval(ticker);
    process.off('SIGINT', onSigint);
    await Promise.all([w1.terminate(), w2.terminate()]);
    system.terminate();
  }
}
