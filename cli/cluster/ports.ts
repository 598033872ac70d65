import { createServer } from 'node:net';
import { PortInUseError } from '../errors.js';

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Fails with PortInUseError on the first port that cannot be bound, before anything is started. */
export async function checkPortsFree(host: string, ports: Array<{ port: number; purpose: string }>): Promise<void> {
  for (const { port, purpose } of ports) {
    if (!(await canBind(host, port))) throw new PortInUseError(port, purpose);
  }
}

/** A base port with `count` consecutive free ports above it (for tests and benchmarks that start their own cluster). */
export async function findFreePortRange(count: number, host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below the Linux ephemeral range (32768..60999), so outgoing connections do not take them meanwhile.
    const base = 20_000 + Math.floor(Math.random() * (32_000 - 20_000 - count));
    let free = true;
    for (let p = base; p < base + count && free; p++) free = await canBind(host, p);
    if (free) return base;
  }
  throw new PortInUseError(0, `${count} consecutive free ports`);
}
