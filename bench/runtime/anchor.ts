// The anchor of the runtime benchmark: the same workloads with no actor
// runtime at all, written the obvious way — one postMessage per message
// between two worker threads, one length-prefixed write per message on a TCP
// socket between two processes, with the same credit window and ack cadence.
// It is the floor the runtime's batching has to beat (tells) and the ceiling
// its ask path is measured against (round trips).
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { Worker } from 'node:worker_threads';

export interface AnchorResult {
  tells: number;
  tellsPerSec: number;
  pings: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
}

const window = 32_768;
const ackEvery = 1024;

function summarize(tells: number, tellMs: number, samples: number[]): AnchorResult {
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]! * 1000;
  const mean = (samples.reduce((s, x) => s + x, 0) / samples.length) * 1000;
  return { tells, tellsPerSec: (tells / tellMs) * 1000, pings: samples.length, p50Us: at(0.5), p99Us: at(0.99), meanUs: mean };
}

// Plain JavaScript so the threads need no TypeScript loader.
const threadCode = `
const { parentPort, workerData } = require('node:worker_threads');
const { role, port, tells, pings, window, ackEvery } = workerData;
if (role === 'receiver') {
  let count = 0;
  port.on('message', (m) => {
    if (m.ping !== undefined) { port.postMessage(m); return; }
    if (++count % ackEvery === 0) port.postMessage({ ack: count });
  });
} else {
  let sent = 0;
  const t0 = performance.now();
  const pump = (acked) => { const limit = Math.min(tells, acked + window); while (sent < limit) port.postMessage(sent++); };
  port.on('message', function onAck(m) {
    if (m.ack === undefined) return;
    if (m.ack < tells) { pump(m.ack); return; }
    port.off('message', onAck);
    const tellMs = performance.now() - t0;
    const samples = [];
    let i = 0, start = 0;
    const warmup = Math.ceil(pings / 10);
    port.on('message', (p) => {
      if (p.ping === undefined) return;
      if (i >= warmup) samples.push(performance.now() - start);
      if (++i === pings + warmup) { parentPort.postMessage({ tellMs, samples }); return; }
      start = performance.now(); port.postMessage({ ping: i });
    });
    start = performance.now(); port.postMessage({ ping: i });
  });
  pump(0);
}
`;

export async function anchorThreads(tells: number, pings: number): Promise<AnchorResult> {
  const count = Math.ceil(tells / ackEvery) * ackEvery;
  const { port1, port2 } = new MessageChannel();
  const common = { tells: count, pings, window, ackEvery };
  const receiver = new Worker(threadCode, { eval: true, workerData: { role: 'receiver', port: port2, ...common }, transferList: [port2] });
  const sender = new Worker(threadCode, { eval: true, workerData: { role: 'sender', port: port1, ...common }, transferList: [port1] });
  try {
    const { tellMs, samples } = await new Promise<{ tellMs: number; samples: number[] }>((resolve, reject) => {
      sender.once('message', resolve);
      sender.once('error', reject);
      receiver.once('error', reject);
    });
    return summarize(count, tellMs, samples);
  } finally {
    await Promise.all([sender.terminate(), receiver.terminate()]);
  }
}

const serverCode = `
const net = require('node:net');
const server = net.createServer({ noDelay: true }, (socket) => {
  let buf = Buffer.alloc(0), count = 0;
  const ackEvery = Number(process.argv[1]);
  socket.on('data', (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= 4) {
      const len = buf.readUInt32BE(at);
      if (buf.length - at < 4 + len) break;
      const body = buf.subarray(at + 4, at + 4 + len);
      at += 4 + len;
      if (body[0] === 0x70) { const f = Buffer.allocUnsafe(4 + len); f.writeUInt32BE(len); body.copy(f, 4); socket.write(f); continue; }
      if (++count % ackEvery === 0) { const f = Buffer.allocUnsafe(8); f.writeUInt32BE(4); f.writeUInt32BE(count, 4); socket.write(f); }
    }
    buf = buf.subarray(at);
  });
  socket.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

export async function anchorTcp(tells: number, pings: number): Promise<AnchorResult> {
  const count = Math.ceil(tells / ackEvery) * ackEvery;
  const server = spawn(process.execPath, ['-e', serverCode, String(ackEvery)], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      server.once('exit', (code) => reject(new Error(`anchor server exited with ${code}`)));
    });
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let onFrame: (body: Buffer) => void = () => undefined;
    let buf: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let at = 0;
      while (buf.length - at >= 4) {
        const len = buf.readUInt32BE(at);
        if (buf.length - at < 4 + len) break;
        onFrame(buf.subarray(at + 4, at + 4 + len));
        at += 4 + len;
      }
      buf = buf.subarray(at);
    });
    // One frame per message: [len=5][0x74 't'][uint32 index].
    const tellMs = await new Promise<number>((resolve) => {
      let sent = 0;
      const t0 = performance.now();
      const pump = (acked: number) => {
        const limit = Math.min(count, acked + window);
        while (sent < limit) {
          const f: Buffer = Buffer.allocUnsafe(9);
          f.writeUInt32BE(5);
          f[4] = 0x74;
          f.writeUInt32BE(sent++, 5);
          socket.write(f);
        }
      };
      onFrame = (body) => {
        const acked = body.readUInt32BE(0);
        if (acked >= count) resolve(performance.now() - t0);
        else pump(acked);
      };
      pump(0);
    });
    const samples: number[] = [];
    const warmup = Math.ceil(pings / 10);
    await new Promise<void>((resolve) => {
      let i = 0;
      let start = 0;
      const ping = () => {
        const f: Buffer = Buffer.allocUnsafe(9);
        f.writeUInt32BE(5);
        f[4] = 0x70;
        f.writeUInt32BE(i, 5);
        start = performance.now();
        socket.write(f);
      };
      onFrame = () => {
        if (i >= warmup) samples.push(performance.now() - start);
        if (++i === pings + warmup) resolve();
        else ping();
      };
      ping();
    });
    socket.destroy();
    return summarize(count, tellMs, samples);
  } finally {
    server.stdin.end();
    server.kill();
  }
}
