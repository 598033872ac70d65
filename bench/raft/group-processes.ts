// The process mode: one child process per member (member-process.ts), each an
// actor system on TCP loopback (the runtime's TcpTransport); the client's
// system in this process dials all three.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActorSystem, ConsoleLogger, type Address } from '../../runtime/index.js';
import { Router } from '../../runtime/router.js';
import { TcpTransport } from '../../runtime/tcp-transport.js';
import { waitForLeader, type MemberGroup } from './group.js';
import { memberPath } from './member.js';

export async function startProcessGroup(members: number, noSync: boolean): Promise<MemberGroup> {
  const secret = randomBytes(16).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'edgekv-bench-raft-'));
  const children: ChildProcess[] = [];
  const ports: Record<number, number> = {};
  for (let id = 1; id <= members; id++) {
    const child = fork(new URL('./member-process.ts', import.meta.url), [], {
      // EDGEKV_RAFT_MEMBER_NODE_ARGS: extra node flags for the member processes, e.g.
      // "--cpu-prof --cpu-prof-dir=/tmp/prof" (not allowed in NODE_OPTIONS).
      execArgv: ['--import', 'tsx', ...(process.env.EDGEKV_RAFT_MEMBER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')],
      env: {
        ...process.env,
        EDGEKV_BENCH_SECRET: secret,
        EDGEKV_RAFT_ID: String(id),
        EDGEKV_RAFT_SIZE: String(members),
        EDGEKV_RAFT_DIR: join(dir, `m${id}`),
        EDGEKV_RAFT_NOSYNC: noSync ? '1' : '0',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    ports[id] = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: { port?: number }) => (m.port ? resolve(m.port) : reject(new Error('no port'))));
      child.once('exit', (code) => reject(new Error(`member ${id} exited with ${code}`)));
    });
  }
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          c.once('message', () => resolve());
          c.send({ ports });
        }),
    ),
  );
  const system = new ActorSystem({ name: 'bench-client', logger: new ConsoleLogger('bench-client', 'warn') });
  const transport = new TcpTransport({ router: new Router(system), secret });
  const addresses = new Map<number, Address>();
  for (let id = 1; id <= members; id++) {
    await transport.dial(`127.0.0.1:${ports[id]}`, { system: `m${id}` }).ready;
    addresses.set(id, { system: `m${id}`, path: memberPath });
  }
  await waitForLeader(system, addresses);
  return {
    system,
    addresses,
    async stop() {
      await transport.close();
      system.terminate();
      for (const c of children) c.disconnect();
      await Promise.all(children.map((c) => new Promise<void>((r) => (c.exitCode !== null ? r() : c.once('exit', () => r())))));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
