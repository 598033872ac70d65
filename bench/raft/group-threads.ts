// The thread mode: one worker thread per member in this process (the
// runtime's WorkerHost, as the cluster places hosts on threads), each its own
// actor system `bench.m<id>` with a RaftMember on its own lmdb directory
// (member-thread.ts). Members talk over direct MessageChannels
// (WorkerHost.connect, a WorkerLink each way); the client's system on the main
// thread reaches each member over that member's WorkerLink to the parent. No TCP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActorSystem, ConsoleLogger, type Address } from '../../runtime/index.js';
import { Router } from '../../runtime/router.js';
import { WorkerHost } from '../../runtime/worker-host.js';
import { tracing } from '../../actors/raft/trace.js';
import { waitForLeader, type MemberGroup } from './group.js';
import { memberPath } from './member.js';
import type { ThreadMemberArgs } from './member-thread.js';

const factories = new URL('./member-thread.ts', import.meta.url).href;
const traceNames = new URL('./thread-trace-name.ts', import.meta.url).href;

export async function startThreadGroup(members: number, noSync: boolean): Promise<MemberGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'edgekv-bench-raft-threads-'));
  const system = new ActorSystem({ name: 'bench', logger: new ConsoleLogger('bench', 'warn') });
  const router = new Router(system);
  const ids = Array.from({ length: members }, (_, i) => i + 1);
  const hosts: WorkerHost[] = [];
  const stop = async (): Promise<void> => {
    // Stop each member, close its lmdb environment in its own thread, then end the
    // thread (tracing: the thread exits by itself, so that its trace rows are written).
    await Promise.all(
      hosts.map(async (host) => {
        let exiting = false;
        try {
          await host.stop(memberPath);
          await host.ref('closer').ask(tracing ? 'close-and-exit' : 'close', { timeoutMs: 10_000 });
          exiting = tracing;
        } finally {
          await (exiting ? host.exited : host.terminate());
        }
      }),
    );
    system.terminate();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const id of ids) hosts.push(await WorkerHost.start({ router, name: `m${id}`, logLevel: 'warn' }));
    for (let a = 0; a < hosts.length; a++) for (let b = a + 1; b < hosts.length; b++) await WorkerHost.connect(hosts[a]!, hosts[b]!);
    const addresses = new Map<number, Address>();
    for (const [i, host] of hosts.entries()) {
      const id = ids[i]!;
      const args: ThreadMemberArgs = { id, size: members, dir: join(dir, `m${id}`), noSync, systemPrefix: system.name };
      if (tracing) await host.spawn({ module: traceNames, factory: 'traceName', args: { id } }, 'trace-name');
      await host.spawn({ module: factories, factory: 'storeCloser' }, 'closer');
      addresses.set(id, (await host.spawn({ module: factories, factory: 'raftMember', args }, memberPath)).address);
    }
    await waitForLeader(system, addresses);
    return { system, addresses, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
