import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { EdgeKVError } from '../runtime/errors.js';
import { apiLimits } from './limits.js';
import { EdgeKVService } from './proto.js';
import type { ClusterStatus, Consistency, KeyValue, Scope } from './types.js';

export interface ClientOptions {
  /** `host:port` of edge nodes; any of them serves any call. */
  endpoints: string[];
  /** Identifies this client's write session; random when not given. */
  clientId?: string;
  /** Overall deadline of one call, retries included. */
  timeoutMs?: number;
  /** First retry delay; doubles per attempt, with jitter. */
  backoffMs?: number;
}

export interface ReadOptions {
  scope?: Scope;
  consistency?: Consistency;
}
export interface WriteOptions {
  scope?: Scope;
}

/** A call the server refused or could not complete; `grpcCode` is the gRPC status. */
export class ClientCallError extends EdgeKVError {
  constructor(
    readonly grpcCode: grpc.status,
    message: string,
  ) {
    super(grpc.status[grpcCode] ?? 'UNKNOWN', message);
  }
}

/** Worth trying again (on this or another node): the request may not have reached a leader. */
const retryable = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED]);

type Key = string | Buffer;
const bytes = (k: Key): Buffer => (typeof k === 'string' ? Buffer.from(k) : k);
const scopeName = (s: Scope | undefined) => (s === 'global' ? 'GLOBAL' : 'LOCAL');
const consistencyName = (c: Consistency | undefined) => (c === 'serializable' ? 'SERIALIZABLE' : 'LINEARIZABLE');

type RawClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

/**
 * The EdgeKV client library. Writes carry (clientId, requestId) so a retry
 * after a timeout or a failover applies once. A failed attempt moves on to the
 * next endpoint with exponential backoff; the node that last answered is tried
 * first (nodes forward to their leader themselves, so any live node will do).
 */
export class EdgeKVClient {
  readonly clientId: string;
  private readonly clients: RawClient[];
  private preferred = 0;
  private nextRequestId = 1;
  private readonly timeoutMs: number;
  private readonly backoffMs: number;

  constructor(options: ClientOptions) {
    if (options.endpoints.length === 0) throw new EdgeKVError('INVALID_ARGUMENT', 'EdgeKVClient needs at least one endpoint');
    this.clientId = options.clientId ?? randomUUID();
    this.timeoutMs = options.timeoutMs ?? apiLimits.defaultDeadlineMs;
    this.backoffMs = options.backoffMs ?? 25;
    this.clients = options.endpoints.map(
      (e) => new EdgeKVService(e, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * 1024 * 1024 }) as RawClient,
    );
  }

  async get(key: Key, options: ReadOptions = {}): Promise<Buffer | undefined> {
    const res = (await this.call('get', {
      key: bytes(key),
      scope: scopeName(options.scope),
      consistency: consistencyName(options.consistency),
    })) as { found: boolean; value: Buffer };
    return res.found ? res.value : undefined;
  }

  async put(key: Key, value: Key, options: WriteOptions = {}): Promise<void> {
    await this.call('put', { key: bytes(key), value: bytes(value), scope: scopeName(options.scope), id: this.writeId() });
  }

  async delete(key: Key, options: WriteOptions = {}): Promise<void> {
    await this.call('delete', { key: bytes(key), scope: scopeName(options.scope), id: this.writeId() });
  }

  async rangeDelete(start: Key, end: Key, options: WriteOptions = {}): Promise<number> {
    const res = (await this.call('rangeDelete', {
      start: bytes(start),
      end: bytes(end),
      scope: scopeName(options.scope),
      id: this.writeId(),
    })) as { deleted: number };
    return Number(res.deleted);
  }

  /** Pairs with start <= key < end (end '' = no bound), in key order. Retried as a whole on failure. */
  async range(start: Key, end: Key, options: ReadOptions & { limit?: number } = {}): Promise<KeyValue[]> {
    const request = {
      start: bytes(start),
      end: bytes(end),
      scope: scopeName(options.scope),
      consistency: consistencyName(options.consistency),
      limit: options.limit ?? 0,
    };
    return this.withRetries(async (client, deadline) => {
      const out: KeyValue[] = [];
      const stream = client.rangeGet(request, { deadline }) as grpc.ClientReadableStream<KeyValue>;
      for await (const pair of stream) out.push({ key: pair.key, value: pair.value });
      return out;
    });
  }

  async status(): Promise<ClusterStatus> {
    const res = (await this.call('status', {})) as { json: string };
    return JSON.parse(res.json) as ClusterStatus;
  }

  close(): void {
    for (const c of this.clients) c.close();
  }

  private writeId() {
    return { clientId: this.clientId, requestId: this.nextRequestId++ };
  }

  private call(method: string, request: unknown): Promise<unknown> {
    return this.withRetries(
      (client, deadline) =>
        new Promise((resolve, reject) => {
          client[method]!(request, { deadline }, (error: grpc.ServiceError | null, response: unknown) =>
            error ? reject(error) : resolve(response),
          );
        }),
    );
  }

  private async withRetries<T>(attempt: (client: RawClient, deadline: Date) => Promise<T>): Promise<T> {
    const giveUpAt = Date.now() + this.timeoutMs;
    let lastError: grpc.ServiceError | undefined;
    for (let n = 0; ; n++) {
      const index = (this.preferred + n) % this.clients.length;
      const remaining = giveUpAt - Date.now();
      if (remaining <= 0) break;
      // One node may hang; leave time for the others.
      const perAttemptMs = Math.max(50, Math.min(remaining, this.timeoutMs / Math.min(3, this.clients.length)));
      try {
        const result = await attempt(this.clients[index]!, new Date(Date.now() + perAttemptMs));
        this.preferred = index;
        return result;
      } catch (error) {
        const e = error as grpc.ServiceError;
        if (typeof e.code !== 'number' || !retryable.has(e.code)) {
          throw new ClientCallError(e.code ?? grpc.status.UNKNOWN, e.details || e.message);
        }
        lastError = e;
        const delay = Math.min(1000, this.backoffMs * 2 ** Math.min(n, 6)) * (0.5 + Math.random() / 2);
        if (Date.now() + delay >= giveUpAt) break;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    throw new ClientCallError(
      lastError?.code ?? grpc.status.DEADLINE_EXCEEDED,
      `no node answered within ${this.timeoutMs} ms: ${lastError?.details || lastError?.message || 'timed out'}`,
    );
  }
}
