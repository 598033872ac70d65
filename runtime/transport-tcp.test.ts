import { connect, createServer, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { decode, encode } from './codec.js';
import { ActorSystem, EdgeKVError, MemoryLogger } from './index.js';
import { Router } from './router.js';
import { encodeFrame, FrameDecoder, FrameTooLargeError } from './tcp-frame.js';
import { proofFor } from './tcp-handshake.js';
import { HandshakeError, TcpTransport, type TcpTransportOptions } from './tcp-transport.js';
import { collector, echo, forwarder, type CollectorMessage, type ForwarderMessage } from './worker-fixtures.js';

const secret = 'test-cluster-secret';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function node(name: string, options: Partial<TcpTransportOptions> = {}) {
  const log = new MemoryLogger();
  const system = new ActorSystem({ name, logger: log });
  const router = new Router(system);
  const transport = new TcpTransport({ router, secret, reconnectBaseMs: 10, reconnectMaxMs: 50, ...options });
  cleanups.push(async () => {
    await transport.close();
    system.terminate();
  });
  return { system, log, router, transport };
}

const until = async (condition: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
};

/** A hand-driven TCP client: speaks the handshake (with any secret) and then whatever bytes a test wants. */
async function rawPeer(port: number, name: string, peerSecret: string | undefined) {
  const socket: Socket = connect(port, '127.0.0.1');
  cleanups.push(() => void socket.destroy());
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  const frames: unknown[] = [];
  const decoder = new FrameDecoder(1 << 20);
  const scratch = new ActorSystem({ name: 'scratch', logger: new MemoryLogger() });
  socket.on('data', (chunk: Buffer) => decoder.push(chunk, (body) => frames.push(decode(body, scratch))));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const authenticated = async (): Promise<void> => {
    const nonce = randomBytes(32);
    socket.write(encodeFrame(encode({ t: 'hello', v: 1, nonce })));
    await until(() => frames.length >= 1, 'hello from the server');
    const hello = frames[0] as { nonce: Uint8Array };
    socket.write(encodeFrame(encode({ t: 'proof', name, mac: proofFor(Buffer.from(peerSecret ?? ''), hello.nonce, name) })));
  };
  if (peerSecret !== undefined) await authenticated();
  return { socket, closed, frames };
}

describe('TCP transport between two actor systems', () => {
  it('tell and ask both ways, FIFO per sender, refs inside messages rebound', async () => {
    const a = node('a');
    const b = node('b');
    const port = await b.transport.listen();
    const link = a.transport.dial(`127.0.0.1:${port}`);
    await expect(link.ready).resolves.toBe('b');

    b.system.spawn(echo(), 'echo');
    const items = b.system.spawn(collector(), 'items');
    await expect(a.system.ref({ system: 'b', path: 'echo' }).ask({ x: [1, 'two'] }, { timeoutMs: 5000 })).resolves.toEqual({ x: [1, 'two'] });

    const remoteItems = a.system.ref<CollectorMessage>(items.address);
    for (let i = 0; i < 5000; i++) remoteItems.tell({ kind: 'item', value: i });
    await expect(remoteItems.ask({ kind: 'get' }, { timeoutMs: 5000 })).resolves.toEqual([...Array(5000).keys()]);

    // b learned the route back to a from the handshake: an actor on b asks an actor on a through a ref it was sent.
    a.system.spawn(echo(), 'echo-a');
    const fwd = b.system.spawn(forwarder(), 'fwd');
    const answer = await a.system
      .ref<ForwarderMessage>(fwd.address)
      .ask({ kind: 'ask', to: a.system.ref('echo-a'), message: 'back', timeoutMs: 5000 }, { timeoutMs: 5000 });
    expect(answer).toEqual({ ok: 'back' });
    expect(a.transport.stats()).toEqual([expect.objectContaining({ remoteSystem: 'b', inbound: false, open: true })]);
    expect(b.transport.stats()).toEqual([expect.objectContaining({ remoteSystem: 'a', inbound: true, open: true })]);
    // 5000 tells went out in a handful of frames, not one each
    expect(a.transport.stats()[0]!.framesSent).toBeLessThan(100);
  });

  it('a full mailbox on the receiving side dead-letters the overflow and leaves the link up', async () => {
    const a = node('a');
    const b = node('b');
    const seen: unknown[] = [];
    b.system.spawn({ create: () => ({ receive: (m) => void seen.push(m) }), mailbox: { capacity: 2 } }, 'tiny');
    b.system.spawn(echo(), 'echo');
    const port = await b.transport.listen();
    const link = a.transport.dial(`127.0.0.1:${port}`);
    await link.ready;
    const tiny = a.system.ref({ system: 'b', path: 'tiny' });
    for (let i = 0; i < 10; i++) tiny.tell(i); // one batch: 8 of them find the mailbox full
    await expect(a.system.ref({ system: 'b', path: 'echo' }).ask('alive', { timeoutMs: 5000 })).resolves.toBe('alive');
    expect(seen).toEqual([0, 1]);
    expect(b.system.deadLetters.byReason['mailbox-full']).toBe(8);
    expect(link.isOpen).toBe(true);
    expect(b.log.find('tcp connection closed')).toHaveLength(0);
  });

  it('reaches a system behind a peer by its dotted prefix (b.w1 through b)', async () => {
    const a = node('a');
    const b = node('b');
    const bw1 = new ActorSystem({ name: 'b.w1', logger: new MemoryLogger() });
    cleanups.push(() => bw1.terminate());
    // b.w1 stands in for b's worker thread: a link that hands envelopes straight to its system.
    const bw1Router = new Router(bw1);
    b.router.addRoute('b.w1', { description: 'in-process', send: (e) => (queueMicrotask(() => bw1Router.receive(e)), true), close() {} });
    bw1Router.setDefault({ description: 'to b', send: (e) => (queueMicrotask(() => b.router.receive(e)), true), close() {} });
    bw1.spawn(echo(), 'echo');
    const port = await b.transport.listen();
    await a.transport.dial(`127.0.0.1:${port}`).ready;
    await expect(a.system.ref({ system: 'b.w1', path: 'echo' }).ask('deep', { timeoutMs: 5000 })).resolves.toBe('deep');
    expect(b.router.stats().forwarded).toBe(2);
  });

  it('refuses a dialer with the wrong secret, on both ends, and keeps serving others', async () => {
    const b = node('b');
    const port = await b.transport.listen();
    const intruder = node('intruder', { secret: 'wrong-secret' });
    const bad = intruder.transport.dial(`127.0.0.1:${port}`);
    const error = await bad.ready.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandshakeError);
    expect(String((error as Error).message)).toMatch(/authentication failed/);
    await until(() => b.log.find('tcp handshake failed; peer refused').length > 0, 'the server to log the refusal');
    expect(b.router.routeFor('intruder')).toBeUndefined();
    // nothing the intruder sends gets anywhere
    const lost = await intruder.system.ref({ system: 'b', path: 'x' }).ask(1, { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect((lost as EdgeKVError).code).toBe('UNREACHABLE');

    const a = node('a');
    b.system.spawn(echo(), 'echo');
    await a.transport.dial(`127.0.0.1:${port}`).ready;
    await expect(a.system.ref({ system: 'b', path: 'echo' }).ask('still here', { timeoutMs: 5000 })).resolves.toBe('still here');
  });

  it('refuses a raw peer whose proof is wrong before it can send a single envelope', async () => {
    const b = node('b');
    const seen: unknown[] = [];
    b.system.spawn({ create: () => ({ receive: (m) => void seen.push(m) }) }, 'target');
    const port = await b.transport.listen();
    const peer = await rawPeer(port, 'mallory', 'not-the-secret');
    peer.socket.write(encodeFrame(encode(['b', 'target', null, null, 'sneaky', null])));
    await peer.closed;
    expect(b.log.find('tcp handshake failed; peer refused')[0]?.fields.reason).toMatch(/authentication failed/);
    expect(seen).toEqual([]);
    expect(b.router.routeFor('mallory')).toBeUndefined();
  });

  it('refuses a peer that claims the server own name (reflection)', async () => {
    const b = node('b');
    const port = await b.transport.listen();
    const peer = await rawPeer(port, 'b', secret);
    await peer.closed;
    expect(b.log.find('tcp handshake failed; peer refused')[0]?.fields.reason).toMatch(/own name/);
  });

  it('closes a connection that sends a malformed frame, logs why, and harms no other link', async () => {
    const a = node('a');
    const b = node('b');
    b.system.spawn(echo(), 'echo');
    const port = await b.transport.listen();
    await a.transport.dial(`127.0.0.1:${port}`).ready;

    const peer = await rawPeer(port, 'raw', secret);
    await until(() => b.router.routeFor('raw') !== undefined, 'the raw peer to be authenticated');
    peer.socket.write(encodeFrame(Buffer.from([0x93, 0x01]))); // an array of 3 that ends after 1 element
    await peer.closed;
    const closed = b.log.find('tcp connection closed');
    expect(closed.some((r) => /malformed frame/.test(String(r.fields.reason)))).toBe(true);
    expect(b.router.routeFor('raw')).toBeUndefined();

    const wrongShape = await rawPeer(port, 'raw2', secret);
    await until(() => b.router.routeFor('raw2') !== undefined, 'the second raw peer to be authenticated');
    wrongShape.socket.write(encodeFrame(encode(['b', 'echo', null]))); // valid msgpack, not a batch
    await wrongShape.closed;

    await expect(a.system.ref({ system: 'b', path: 'echo' }).ask('ok', { timeoutMs: 5000 })).resolves.toBe('ok');
  });

  it('closes a connection that announces an oversized frame, before and after authentication', async () => {
    const b = node('b', { maxFrameBytes: 64 * 1024 });
    const port = await b.transport.listen();

    const early = await rawPeer(port, 'early', undefined);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(10_000);
    early.socket.write(header);
    await early.closed;

    const late = await rawPeer(port, 'late', secret);
    await until(() => b.router.routeFor('late') !== undefined, 'the peer to be authenticated');
    header.writeUInt32BE(64 * 1024 + 1);
    late.socket.write(header);
    await late.closed;

    const reasons = b.log.find('tcp connection closed').map((r) => String(r.fields.reason));
    expect(reasons.filter((r) => /exceeds the limit/.test(r))).toHaveLength(2);
    expect(b.transport.activeLinks).toHaveLength(0);
  });

  it('refuses connections beyond the limit of unauthenticated ones', async () => {
    const b = node('b', { maxPendingHandshakes: 1 });
    const port = await b.transport.listen();
    const first = await rawPeer(port, 'first', undefined);
    const second = await rawPeer(port, 'second', undefined);
    await second.closed;
    expect(b.log.find('tcp connection refused: too many unauthenticated connections')).toHaveLength(1);
    expect(first.socket.destroyed).toBe(false);
  });

  it('drops a peer that never completes the handshake', async () => {
    const b = node('b', { handshakeTimeoutMs: 50 });
    const port = await b.transport.listen();
    const silent = await rawPeer(port, 'silent', undefined);
    await silent.closed;
    expect(b.log.find('tcp connection closed')[0]?.fields.reason).toMatch(/no handshake within 50 ms/);
  });

  it('does not send a message larger than the frame limit; the rest of the batch goes through', async () => {
    const a = node('a', { maxFrameBytes: 16 * 1024 });
    const b = node('b', { maxFrameBytes: 16 * 1024 });
    const items = b.system.spawn(collector(), 'items');
    const port = await b.transport.listen();
    await a.transport.dial(`127.0.0.1:${port}`).ready;
    const remote = a.system.ref<CollectorMessage>(items.address);
    remote.tell({ kind: 'item', value: 'small-1' });
    remote.tell({ kind: 'item', value: 'x'.repeat(32 * 1024) });
    remote.tell({ kind: 'item', value: 'small-2' });
    await expect(remote.ask({ kind: 'get' }, { timeoutMs: 5000 })).resolves.toEqual(['small-1', 'small-2']);
    expect(a.system.deadLetters.byReason.unreachable).toBe(1);
    expect(a.log.find('message larger than the tcp frame limit; dropped')).toHaveLength(1);
  });

  it('reconnects after the connection drops, queues while down (bounded), and delivers the queue in order', async () => {
    const a = node('a', { maxQueuedWhileDisconnected: 100 });
    let b = node('b');
    const port = await b.transport.listen();
    const link = a.transport.dial(`127.0.0.1:${port}`, { system: 'b' });
    await link.ready;

    // the server goes away entirely
    await b.transport.close();
    b.system.terminate();
    await until(() => !link.isOpen, 'the link to notice');

    const remote = a.system.ref<CollectorMessage>({ system: 'b', path: 'items' });
    for (let i = 0; i < 150; i++) remote.tell({ kind: 'item', value: i });
    expect(a.system.deadLetters.byReason.unreachable).toBe(50);

    // a new b on the same port: the link redials and flushes what it held
    b = node('b');
    b.system.spawn(collector(), 'items');
    await b.transport.listen(port);
    await until(() => link.isOpen, 'the link to reconnect');
    await expect(remote.ask({ kind: 'get' }, { timeoutMs: 5000 })).resolves.toEqual([...Array(100).keys()]);
    expect(a.log.find('tcp link up')).toHaveLength(2);
  });

  it('stops writing to a peer that does not read, queues (bounded) and dead-letters the overflow', async () => {
    const accepted: Socket[] = [];
    const server = createServer((socket) => {
      accepted.push(socket);
      const scratch = new ActorSystem({ name: 'scratch', logger: new MemoryLogger() });
      const decoder = new FrameDecoder(1 << 20);
      socket.on('error', () => undefined);
      socket.write(encodeFrame(encode({ t: 'hello', v: 1, nonce: randomBytes(32) })));
      socket.on('data', (chunk: Buffer) =>
        decoder.push(chunk, (body) => {
          const message = decode<{ t: string; nonce: Uint8Array }>(body, scratch);
          if (message.t === 'hello') socket.write(encodeFrame(encode({ t: 'proof', name: 'slow', mac: proofFor(Buffer.from(secret), message.nonce, 'slow') })));
          else socket.pause(); // authenticated, and from now on reads nothing
        }),
      );
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const socket of accepted) socket.destroy(); // paused: it would never notice the other end leave
        }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    const a = node('a', { maxSocketBufferBytes: 256 * 1024, maxQueuedWhileDisconnected: 50 });
    const link = a.transport.dial(`127.0.0.1:${port}`);
    await expect(link.ready).resolves.toBe('slow');
    const slow = a.system.ref({ system: 'slow', path: 'sink' });
    const payload = 'z'.repeat(16 * 1024);
    for (let i = 0; i < 4000 && a.system.deadLetters.byReason.unreachable === 0; i++) {
      slow.tell(payload);
      if (i % 16 === 15) await new Promise((r) => setImmediate(r));
    }
    expect(a.system.deadLetters.byReason.unreachable).toBeGreaterThan(0);
    expect(link.isOpen).toBe(true);
  });

  it('listen reports a port in use and can be retried', async () => {
    const a = node('a');
    const b = node('b');
    const port = await a.transport.listen();
    await expect(b.transport.listen(port)).rejects.toThrow(/EADDRINUSE/);
    await expect(b.transport.listen()).resolves.toBeGreaterThan(0);
  });

  it('rejects a dial to a peer with an unexpected system name', async () => {
    const a = node('a');
    const b = node('b');
    const port = await b.transport.listen();
    const error = await a.transport.dial(`127.0.0.1:${port}`, { system: 'c' }).ready.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandshakeError);
    expect(a.router.routeFor('c')).toBeUndefined();
  });
});

describe('FrameDecoder', () => {
  it('property: any bodies, cut at any points, come out whole and in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
        (bodies, cuts) => {
          const stream = Buffer.concat(bodies.map((b) => encodeFrame(b)));
          const decoder = new FrameDecoder(300);
          const got: string[] = [];
          for (let at = 0, k = 0; at < stream.length; k++) {
            const end = Math.min(stream.length, at + cuts[k % cuts.length]!);
            decoder.push(stream.subarray(at, end), (body) => got.push(Buffer.from(body).toString('hex')));
            at = end;
          }
          expect(got).toEqual(bodies.map((b) => Buffer.from(b).toString('hex')));
          expect(decoder.pendingBytes).toBe(0);
        },
      ),
    );
  });

  it('reassembles frames from any split of the stream', () => {
    const bodies = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(1000, 7), Buffer.from('hello world')];
    const stream = Buffer.concat(bodies.map((b) => encodeFrame(b)));
    for (let seed = 1; seed <= 50; seed++) {
      const decoder = new FrameDecoder(4096);
      const got: Buffer[] = [];
      let at = 0;
      let step = seed;
      while (at < stream.length) {
        step = (step * 7 + 3) % 23;
        const end = Math.min(stream.length, at + 1 + step);
        decoder.push(stream.subarray(at, end), (body) => got.push(Buffer.from(body)));
        at = end;
      }
      expect(got.map((b) => b.toString('hex'))).toEqual(bodies.map((b) => b.toString('hex')));
      expect(decoder.pendingBytes).toBe(0);
    }
  });

  it('throws FrameTooLargeError on a header over the limit without waiting for the body', () => {
    const decoder = new FrameDecoder(10);
    expect(() => decoder.push(encodeFrame(Buffer.alloc(11)).subarray(0, 4), () => undefined)).toThrow(FrameTooLargeError);
  });
});
