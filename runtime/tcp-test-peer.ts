// A second process for the cross-process transport test: actor system `p2`
// listening on loopback, with a worker thread `p2.w1` behind it hosting the
// test fixtures. Tells its parent the port over IPC; exits when the parent
// disconnects.
import { ActorSystem } from './actor-system.js';
import { MemoryLogger } from './logger.js';
import { Router } from './router.js';
import { TcpTransport } from './tcp-transport.js';
import { WorkerHost } from './worker-host.js';

const secret = process.env.EDGEKV_TEST_SECRET;
if (secret === undefined || process.send === undefined) {
  process.stderr.write('runtime/tcp-test-peer.ts runs as a child of runtime/transport-process.test.ts\n');
  process.exit(2);
}
const system = new ActorSystem({ name: 'p2', logger: new MemoryLogger() });
const router = new Router(system);
const transport = new TcpTransport({ router, secret });
const worker = await WorkerHost.start({ router, name: 'w1', logLevel: 'error' });
const fixtures = new URL('./worker-fixtures.ts', import.meta.url).href;
await worker.spawn({ module: fixtures, factory: 'echo' }, 'echo');
await worker.spawn({ module: fixtures, factory: 'forwarder' }, 'fwd');
const port = await transport.listen(0, '127.0.0.1');
process.send({ port });
process.on('disconnect', () => {
  void (async () => {
    await transport.close();
    await worker.terminate();
    system.terminate();
    process.exit(0);
  })();
});
