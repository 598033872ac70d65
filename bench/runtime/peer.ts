// The other process of the TCP benchmark: an actor system with a consumer and
// an echo actor, listening on loopback. Prints nothing; tells its parent the
// port over IPC and exits when the parent goes away.
import { ActorSystem, ConsoleLogger } from '../../runtime/index.js';
import { Router } from '../../runtime/router.js';
import { TcpTransport } from '../../runtime/tcp-transport.js';
import { consumer, echo } from './actors.js';

const secret = process.env.EDGEKV_BENCH_SECRET;
if (secret === undefined || process.send === undefined) {
  process.stderr.write('bench/runtime/peer.ts runs as a child of the runtime benchmark\n');
  process.exit(2);
}
const system = new ActorSystem({ name: 'peer', logger: new ConsoleLogger('peer', 'warn') });
const transport = new TcpTransport({ router: new Router(system), secret });
system.spawn(consumer(), 'consumer');
system.spawn(echo(), 'echo');
const port = await transport.listen(0, '127.0.0.1');
process.send({ port });
process.on('disconnect', () => {
  void transport.close().then(() => {
    system.terminate();
    process.exit(0);
  });
});
