// One Raft member of the benchmark group, in its own process (as etcd runs
// one process per member): an actor system on TCP loopback, the member actor,
// its log on lmdb with fsync on. Talks to its parent over IPC: reports its
// port, receives the peers' ports, reports "ready", exits when the parent goes.
import { ActorSystem, ConsoleLogger } from '../../runtime/index.js';
import { Router } from '../../runtime/router.js';
import { TcpTransport } from '../../runtime/tcp-transport.js';
import { LmdbLogStore } from '../../storage/raft-log/lmdb.js';
import { memberPath, memberProps } from './member.js';

const secret = process.env.EDGEKV_BENCH_SECRET;
const id = Number(process.env.EDGEKV_RAFT_ID);
const size = Number(process.env.EDGEKV_RAFT_SIZE);
const dir = process.env.EDGEKV_RAFT_DIR;
const noSync = process.env.EDGEKV_RAFT_NOSYNC === '1';
if (secret === undefined || dir === undefined || !(id > 0) || !(size > 0) || process.send === undefined) {
  process.stderr.write('bench/raft/member-process.ts runs as a child of the raft benchmark\n');
  process.exit(2);
}
const send = process.send.bind(process);

const system = new ActorSystem({ name: `m${id}`, logger: new ConsoleLogger(`m${id}`, 'warn') });
const transport = new TcpTransport({ router: new Router(system), secret });
const port = await transport.listen(0, '127.0.0.1');
const store = LmdbLogStore.open({ path: dir, unsafeNoSync: noSync });

process.on('message', (msg: { ports?: Record<string, number> }) => {
  if (msg.ports === undefined) return;
  // Each pair connects once: the higher id dials the lower.
  for (let peer = 1; peer < id; peer++) transport.dial(`127.0.0.1:${msg.ports[peer]}`, { system: `m${peer}` });
  system.spawn(memberProps(id, size, store, (peer) => `m${peer}`), memberPath);
  send({ ready: true });
});
send({ port });
process.on('disconnect', () => {
  void (async () => {
    await transport.close();
    system.terminate();
    await store.close();
    process.exit(0);
  })();
});
