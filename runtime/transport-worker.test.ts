import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorSystem, ActorNotFoundError, AskTimeoutError, EdgeKVError, MemoryLogger } from './index.js';
import { Router } from './router.js';
import { WorkerHost } from './worker-host.js';
import type { WorkerLink } from './worker-link.js';
import type { CollectorMessage, ForwarderMessage } from './worker-fixtures.js';

const fixtures = new URL('./worker-fixtures.ts', import.meta.url).href;
const spec = (factory: string) => ({ module: fixtures, factory });

describe('worker-thread host', () => {
  const log = new MemoryLogger();
  const main = new ActorSystem({ name: 'main', logger: log });
  const router = new Router(main);
  let w1: WorkerHost;
  let w2: WorkerHost;

  beforeAll(async () => {
    [w1, w2] = await Promise.all([WorkerHost.start({ router, name: 'w1' }), WorkerHost.start({ router, name: 'w2' })]);
  });
  afterAll(async () => {
    await Promise.all([w1?.terminate(), w2?.terminate()]);
    main.terminate();
  });

  it('names worker systems after their parent and answers asks across threads', async () => {
    expect(w1.systemName).toBe('main.w1');
    const echo = await w1.spawn<unknown>(spec('echo'), 'echo');
    expect(echo.address).toEqual({ system: 'main.w1', path: 'echo' });
    await expect(echo.ask({ hello: [1, 2, 3], n: 2n ** 60n }, { timeoutMs: 5000 })).resolves.toEqual({ hello: [1, 2, 3], n: 2n ** 60n });
  });

  it('keeps tells FIFO per sender across the thread boundary', async () => {
    const c = await w1.spawn<CollectorMessage>(spec('collector'), 'fifo');
    const link = router.routeFor('main.w1') as WorkerLink;
    const framesBefore = link.framesSent;
    for (let i = 0; i < 5000; i++) c.tell({ kind: 'item', value: i });
    expect(link.framesSent - framesBefore).toBe(1); // the first 4096 went at once; the rest waits for the microtask
    await Promise.resolve();
    expect(link.framesSent - framesBefore).toBe(2);
    const seen = await c.ask<number[]>({ kind: 'get' }, { timeoutMs: 5000 });
    expect(seen).toEqual([...Array(5000).keys()]);
  });

  it('rebinds refs inside messages: a worker actor tells a main-thread actor it was handed', async () => {
    const got: unknown[] = [];
    let arrived!: () => void;
    const done = new Promise<void>((r) => (arrived = r));
    const inbox = main.spawn({ create: () => ({ receive: (m) => (got.push(m), arrived()) }) }, 'inbox');
    const fwd = await w1.spawn<ForwarderMessage>(spec('forwarder'), 'fwd');
    fwd.tell({ kind: 'tell', to: inbox, message: 'via worker' });
    await done;
    expect(got).toEqual(['via worker']);
  });

  it('routes worker-to-worker traffic through the parent until a direct channel exists, then directly', async () => {
    const echo2 = await w2.spawn(spec('echo'), 'echo');
    const fwd = await w1.spawn<ForwarderMessage>(spec('forwarder'), 'fwd2');
    const before = router.stats().forwarded;
    const viaParent = await fwd.ask({ kind: 'ask', to: echo2, message: 'one', timeoutMs: 5000 }, { timeoutMs: 5000 });
    expect(viaParent).toEqual({ ok: 'one' });
    expect(router.stats().forwarded).toBe(before + 2); // the ask and its reply were relayed here

    await WorkerHost.connect(w1, w2);
    const direct = await fwd.ask({ kind: 'ask', to: echo2, message: 'two', timeoutMs: 5000 }, { timeoutMs: 5000 });
    expect(direct).toEqual({ ok: 'two' });
    expect(router.stats().forwarded).toBe(before + 2);
    expect((await w1.stats()).router.routes).toContain('main.w2');
  });

  it('control plane: stop and stats; an ask to a stopped actor fails at once across the thread', async () => {
    await w2.spawn(spec('echo'), 'doomed');
    const stats = await w2.stats();
    expect(stats.name).toBe('main.w2');
    expect(stats.actors).toBeGreaterThanOrEqual(2);
    await w2.stop('doomed');
    const error = await w2.ref('doomed').ask('x', { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActorNotFoundError);
    expect((await w2.stats()).deadLetters).toBeGreaterThanOrEqual(1);
  });

  it('an ask across threads that gets no answer fails with AskTimeoutError', async () => {
    const silent = await w2.spawn<CollectorMessage>(spec('collector'), 'silent');
    const error = await silent.ask({ kind: 'item', value: 1 }, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AskTimeoutError);
    expect(main.stats().pendingAsks).toBe(0);
  });

  it('refuses a second worker with the same name', async () => {
    await expect(WorkerHost.start({ router, name: 'w1' })).rejects.toThrow(/already exists/);
  });

  it('spawn reports a factory that does not exist', async () => {
    await expect(w1.spawn(spec('nope'), 'x')).rejects.toThrow(/no exported factory function "nope"/);
  });

  it('a system under a worker that does not exist is unreachable, not a loop between parent and worker', async () => {
    const error = await main.ref({ system: 'main.w1.ghost', path: 'x' }).ask(1, { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect((error as EdgeKVError).code).toBe('UNREACHABLE');
  });

  it('a worker system with no route fails an ask with UNREACHABLE instead of timing out', async () => {
    const fwd = await w2.spawn<ForwarderMessage>(spec('forwarder'), 'lost');
    const answer = await fwd.ask(
      { kind: 'ask', to: main.ref({ system: 'elsewhere', path: 'x' }), message: 1, timeoutMs: 5000 },
      { timeoutMs: 5000 },
    );
    expect(answer).toEqual({ error: 'UNREACHABLE' });
  });
});

describe('worker-thread host lifecycle', () => {
  it('after terminate, sends to the worker are unreachable', async () => {
    const main = new ActorSystem({ name: 'solo', logger: new MemoryLogger() });
    const router = new Router(main);
    const w = await WorkerHost.start({ router, name: 'w' });
    await w.spawn(spec('echo'), 'e');
    await w.terminate();
    expect(router.routeFor('solo.w')).toBeUndefined();
    const error = await w.ref('e').ask('x', { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgeKVError);
    expect((error as EdgeKVError).code).toBe('UNREACHABLE');
    await expect(w.stats()).rejects.toThrow(/has exited/);
    main.terminate();
  });
});
