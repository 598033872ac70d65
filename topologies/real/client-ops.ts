// A workload client of a real run: the gRPC client of one edge node, behind
// the emulated client↔node link. A client is not an actor system, so its link
// is emulated here, one request at a time: the request waits out the client→
// node link, the reply the node→client link; a lost or cut message fails the
// operation after the client's deadline, as a real lost packet would.
import type { EdgeKVClient } from '../../api/client.js';
import type { Scope } from '../../api/types.js';
import type { KvOps } from '../workload/driver.js';
import type { LinkState } from './links.js';

/** Bytes a request or reply carries besides keys and values (gRPC and HTTP/2 framing, roughly). */
const overheadBytes = 64;

export class LinkLostError extends Error {
  constructor(from: string, to: string) {
    super(`lost on the emulated link ${from} → ${to}`);
    this.name = 'LinkLostError';
  }
}

export class ShapedClient implements KvOps {
  constructor(
    private readonly client: EdgeKVClient,
    private readonly node: string,
    private readonly links: LinkState,
    private readonly random: () => number,
    private readonly timeoutMs: number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  private async hop(from: string, to: string, bytes: number): Promise<void> {
    const s = this.links.shape(from, to);
    if (s === undefined) return;
    if (s.blocked === true || (s.loss !== undefined && s.loss > 0 && this.random() < s.loss)) {
      await this.sleep(this.timeoutMs);
      throw new LinkLostError(from, to);
    }
    const ms =
      (s.latencyMs ?? 0) + (s.jitterMs !== undefined ? this.random() * s.jitterMs : 0) + (s.bandwidthMbps !== undefined ? (bytes * 8) / (s.bandwidthMbps * 1000) : 0);
    if (ms > 0) await this.sleep(ms);
  }

  private async call<T>(requestBytes: number, run: () => Promise<T>, replyBytes: (t: T) => number): Promise<T> {
    await this.hop('client', this.node, requestBytes + overheadBytes);
    const result = await run();
    await this.hop(this.node, 'client', replyBytes(result) + overheadBytes);
    return result;
  }

  async get(key: string, scope: Scope): Promise<boolean> {
    const value = await this.call(key.length, () => this.client.get(key, { scope }), (v) => v?.length ?? 0);
    return value !== undefined;
  }

  async put(key: string, value: Buffer, scope: Scope): Promise<void> {
    await this.call(key.length + value.length, () => this.client.put(key, value, { scope }), () => 0);
  }

  async scan(startKey: string, limit: number, scope: Scope): Promise<number> {
    const rows = await this.call(
      startKey.length,
      () => this.client.range(startKey, '', { scope, limit }),
      (kvs) => kvs.reduce((n, kv) => n + kv.key.length + kv.value.length, 0),
    );
    return rows.length;
  }
}
