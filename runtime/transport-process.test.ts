import { fork, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorSystem, MemoryLogger } from './index.js';
import { Router } from './router.js';
import { TcpTransport } from './tcp-transport.js';
import { echo, type ForwarderMessage } from './worker-fixtures.js';

describe('across processes: TCP to another process and on to its worker thread', () => {
  const secret = 'process-test-secret';
  const system = new ActorSystem({ name: 'p1', logger: new MemoryLogger() });
  const router = new Router(system);
  const transport = new TcpTransport({ router, secret });
  let child: ChildProcess;

  beforeAll(async () => {
    child = fork(new URL('./tcp-test-peer.ts', import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, EDGEKV_TEST_SECRET: secret },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m) => resolve((m as { port: number }).port));
      child.once('exit', (code) => reject(new Error(`peer exited with code ${code}`)));
    });
    await expect(transport.dial(`127.0.0.1:${port}`, { system: 'p2' }).ready).resolves.toBe('p2');
  });

  afterAll(async () => {
    await transport.close();
    system.terminate();
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      if (child.exitCode === null) child.kill();
    }
  });

  it('asks an actor in the other process worker thread (p2.w1 reached through p2)', async () => {
    await expect(system.ref({ system: 'p2.w1', path: 'echo' }).ask({ n: 7 }, { timeoutMs: 5000 })).resolves.toEqual({ n: 7 });
  });

  it('a ref sent across carries the way back: the remote worker asks an actor here', async () => {
    const local = system.spawn(echo(), 'echo');
    const fwd = system.ref<ForwarderMessage>({ system: 'p2.w1', path: 'fwd' });
    await expect(fwd.ask({ kind: 'ask', to: local, message: 'round', timeoutMs: 5000 }, { timeoutMs: 5000 })).resolves.toEqual({ ok: 'round' });
  });
});
