import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLogger } from '../runtime/logger.js';
import { ClientCallError, EdgeKVClient } from './client.js';
import { UnavailableError } from './errors.js';
import { apiLimits } from './limits.js';
import { EdgeKVService } from './proto.js';
import { ApiServer } from './server.js';
import type { ClusterStatus, DeleteCall, FrontDoor, GetCall, KeyValue, PutCall, RangeDeleteCall, RangeGetCall } from './types.js';

/** A front door over two in-memory maps, recording the write ids it saw. */
class FakeDoor implements FrontDoor {
  readonly data = { local: new Map<string, Buffer>(), global: new Map<string, Buffer>() };
  readonly writeIds: string[] = [];
  failNextWrites = 0;

  async get(call: GetCall): Promise<Buffer | undefined> {
    return this.data[call.scope].get(call.key.toString('latin1'));
  }
  async put(call: PutCall): Promise<void> {
    this.writeIds.push(`${call.id?.clientId}:${call.id?.requestId}`);
    if (this.failNextWrites-- > 0) throw new UnavailableError('no leader yet');
    this.data[call.scope].set(call.key.toString('latin1'), call.value);
  }
  async delete(call: DeleteCall): Promise<void> {
    this.data[call.scope].delete(call.key.toString('latin1'));
  }
  async *rangeGet(call: RangeGetCall): AsyncIterable<KeyValue> {
    const keys = [...this.data[call.scope].keys()].sort();
    let n = 0;
    for (const k of keys) {
      const key = Buffer.from(k, 'latin1');
      if (Buffer.compare(key, call.start) < 0) continue;
      if (call.end.length > 0 && Buffer.compare(key, call.end) >= 0) continue;
      if (call.limit > 0 && n++ >= call.limit) return;
      yield { key, value: this.data[call.scope].get(k)! };
    }
  }
  async rangeDelete(call: RangeDeleteCall): Promise<number> {
    let n = 0;
    for await (const { key } of this.rangeGet({ ...call, consistency: 'linearizable', limit: 0 })) {
      this.data[call.scope].delete(key.toString('latin1'));
      n++;
    }
    return n;
  }
  async status(): Promise<ClusterStatus> {
    return { node: 'fake', ring: [], groups: [] };
  }
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

async function serve(door: FrontDoor): Promise<number> {
  const server = new ApiServer(door, new MemoryLogger());
  const port = await server.listen('127.0.0.1', 0);
  cleanup.push(() => server.close(100));
  return port;
}

function client(endpoints: string[], timeoutMs = 3000): EdgeKVClient {
  const c = new EdgeKVClient({ endpoints, timeoutMs, backoffMs: 5 });
  cleanup.push(() => c.close());
  return c;
}

describe('gRPC API', () => {
  it('puts, gets, deletes and ranges in both scopes, which stay apart', async () => {
    const door = new FakeDoor();
    const c = client([`127.0.0.1:${await serve(door)}`]);
    await c.put('a', '1');
    await c.put('b', '2');
    await c.put('a', 'g', { scope: 'global' });
    expect((await c.get('a'))?.toString()).toBe('1');
    expect((await c.get('a', { scope: 'global' }))?.toString()).toBe('g');
    expect(await c.get('b', { scope: 'global' })).toBeUndefined();
    expect((await c.range('a', '')).map((kv) => kv.key.toString())).toEqual(['a', 'b']);
    expect((await c.range('a', '', { limit: 1 })).map((kv) => kv.key.toString())).toEqual(['a']);
    expect(await c.rangeDelete('a', 'c')).toBe(2);
    await c.delete('a', { scope: 'global' });
    expect(door.data.local.size + door.data.global.size).toBe(0);
  });

  it('refuses bad input with INVALID_ARGUMENT and a clear message, changing nothing', async () => {
    const door = new FakeDoor();
    const c = client([`127.0.0.1:${await serve(door)}`]);
    const refused = async (p: Promise<unknown>, pattern: RegExp) => {
      const e = await p.catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ClientCallError);
      expect((e as ClientCallError).grpcCode).toBe(grpc.status.INVALID_ARGUMENT);
      expect((e as Error).message).toMatch(pattern);
    };
    await refused(c.put('', 'x'), /key must not be empty/);
    await refused(c.put('k'.repeat(apiLimits.maxKeyBytes + 1), 'x'), /key is 4097 bytes; the limit is 4096/);
    await refused(c.put('k', Buffer.alloc(apiLimits.maxValueBytes + 1)), /value is 1048577 bytes/);
    await refused(c.range('b', 'a'), /range start must be below range end/);
    expect(door.data.local.size).toBe(0);
    expect(door.writeIds).toEqual([]);
  });

  it('refuses an unknown scope sent on the wire', async () => {
    const port = await serve(new FakeDoor());
    const raw = new EdgeKVService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    cleanup.push(() => raw.close());
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      (raw as unknown as Record<string, (...a: unknown[]) => void>).get!({ key: Buffer.from('k'), scope: 7 }, (e: grpc.ServiceError) =>
        resolve(e),
      );
    });
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/unknown scope 7/);
  });

  it('retries an unavailable write with the same request id', async () => {
    const door = new FakeDoor();
    door.failNextWrites = 2;
    const c = client([`127.0.0.1:${await serve(door)}`]);
    await c.put('k', 'v');
    expect(door.writeIds).toHaveLength(3);
    expect(new Set(door.writeIds).size).toBe(1);
    expect((await c.get('k'))?.toString()).toBe('v');
  });

  it('moves on to the next endpoint when one is down', async () => {
    const door = new FakeDoor();
    const port = await serve(door);
    // Port 1 on loopback: nothing listens there.
    const c = client(['127.0.0.1:1', `127.0.0.1:${port}`]);
    await c.put('k', 'v');
    expect((await c.get('k'))?.toString()).toBe('v');
  });

  it('gives up with UNAVAILABLE when no node answers within the deadline', async () => {
    const c = client(['127.0.0.1:1'], 300);
    const e = await c.get('k').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ClientCallError);
    expect([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]).toContain((e as ClientCallError).grpcCode);
  });
});
