import * as grpc from '@grpc/grpc-js';
import { EdgeKVError } from '../runtime/errors.js';
import type { Logger } from '../runtime/logger.js';
import { grpcStatusOf } from './errors.js';
import { apiLimits } from './limits.js';
import { EdgeKVService } from './proto.js';
import type { FrontDoor, WriteId } from './types.js';
import { checkKey, checkRange, checkValue, parseConsistency, parseScope } from './validate.js';

interface WireWriteId {
  clientId: string;
  requestId: number;
}

type Unary = grpc.ServerUnaryCall<Record<string, unknown>, unknown>;

/** Milliseconds left of the client's deadline, capped; the default when it set none. */
function timeoutOf(call: { getDeadline(): grpc.Deadline }): number {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(at)) return apiLimits.defaultDeadlineMs;
  return Math.max(1, Math.min(apiLimits.maxDeadlineMs, at - Date.now()));
}

function writeIdOf(raw: unknown): WriteId | undefined {
  const id = raw as WireWriteId | null | undefined;
  if (id === null || id === undefined || id.clientId === '') return undefined;
  return { clientId: id.clientId, requestId: Number(id.requestId) };
}

function toServiceError(error: unknown): Partial<grpc.ServiceError> {
  const message = error instanceof Error ? error.message : String(error);
  return { code: grpcStatusOf(error), details: message, message };
}

/**
 * Serves the EdgeKV gRPC API on top of an edge node's front door. Input is
 * validated here: a bad request is refused with INVALID_ARGUMENT before it
 * reaches the node, and changes nothing.
 */
export class ApiServer {
  private readonly server = new grpc.Server({ 'grpc.max_receive_message_length': apiLimits.maxValueBytes + 64 * 1024 });
  private boundPort = 0;

  constructor(
    private readonly door: FrontDoor,
    private readonly log: Logger,
  ) {
    this.server.addService(EdgeKVService.service, {
      get: this.unary(async (req, timeoutMs) => {
        const value = await this.door.get(
          { key: checkKey(req.key as Buffer), scope: parseScope(req.scope), consistency: parseConsistency(req.consistency) },
          timeoutMs,
        );
        return value === undefined ? { found: false, value: Buffer.alloc(0) } : { found: true, value };
      }),
      put: this.unary(async (req, timeoutMs) => {
        await this.door.put(
          {
            key: checkKey(req.key as Buffer),
            value: checkValue(req.value as Buffer),
            scope: parseScope(req.scope),
            id: writeIdOf(req.id),
          },
          timeoutMs,
        );
        return {};
      }),
      delete: this.unary(async (req, timeoutMs) => {
        await this.door.delete({ key: checkKey(req.key as Buffer), scope: parseScope(req.scope), id: writeIdOf(req.id) }, timeoutMs);
        return {};
      }),
      rangeDelete: this.unary(async (req, timeoutMs) => {
        checkRange(req.start as Buffer, req.end as Buffer);
        const deleted = await this.door.rangeDelete(
          { start: req.start as Buffer, end: req.end as Buffer, scope: parseScope(req.scope), id: writeIdOf(req.id) },
          timeoutMs,
        );
        return { deleted };
      }),
      status: this.unary(async () => ({ json: JSON.stringify(await this.door.status()) })),
      rangeGet: (call: grpc.ServerWritableStream<Record<string, unknown>, unknown>) => void this.rangeGet(call),
    });
  }

  /** Binds `host:port` (port 0 picks a free one) and starts serving; returns the port. */
  async listen(host: string, port: number): Promise<number> {
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      );
    });
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Stops accepting calls and waits for the running ones (up to `graceMs`, then cancels them). */
  async close(graceMs = 2_000): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private unary(handler: (req: Record<string, unknown>, timeoutMs: number) => Promise<unknown>) {
    return (call: Unary, callback: grpc.sendUnaryData<unknown>): void => {
      handler(call.request, timeoutOf(call)).then(
        (response) => callback(null, response),
        (error: unknown) => {
          this.logFailure(call.getPath(), error);
          callback(toServiceError(error));
        },
      );
    };
  }

  private async rangeGet(call: grpc.ServerWritableStream<Record<string, unknown>, unknown>): Promise<void> {
    try {
      const req = call.request;
      checkRange(req.start as Buffer, req.end as Buffer);
      const pairs = this.door.rangeGet(
        {
          start: req.start as Buffer,
          end: req.end as Buffer,
          scope: parseScope(req.scope),
          consistency: parseConsistency(req.consistency),
          limit: Number(req.limit ?? 0),
        },
        timeoutOf(call),
      );
      for await (const pair of pairs) {
        if (call.cancelled) return;
        if (!call.write({ key: pair.key, value: pair.value })) await new Promise((r) => call.once('drain', r));
      }
      call.end();
    } catch (error) {
      this.logFailure('RangeGet', error);
      // grpc-js ends a server stream with a status by emitting the error on the call.
      call.emit('error', toServiceError(error));
    }
  }

  private logFailure(method: string, error: unknown): void {
    const expected = error instanceof EdgeKVError && error.code === 'INVALID_ARGUMENT';
    this.log.log(expected ? 'debug' : 'warn', 'api call failed', {
      method,
      code: error instanceof EdgeKVError ? error.code : 'INTERNAL',
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
