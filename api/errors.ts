import { status as GrpcStatus } from '@grpc/grpc-js';
import { EdgeKVError, InvalidArgumentError } from '../runtime/errors.js';
import { apiLimits } from './limits.js';

export class EmptyKeyError extends InvalidArgumentError {
  constructor() {
    super('key must not be empty');
  }
}

export class KeyTooLargeError extends InvalidArgumentError {
  constructor(readonly sizeBytes: number) {
    super(`key is ${sizeBytes} bytes; the limit is ${apiLimits.maxKeyBytes} bytes`);
  }
}

export class ValueTooLargeError extends InvalidArgumentError {
  constructor(readonly sizeBytes: number) {
    super(`value is ${sizeBytes} bytes; the limit is ${apiLimits.maxValueBytes} bytes`);
  }
}

export class UnknownScopeError extends InvalidArgumentError {
  constructor(readonly scope: unknown) {
    super(`unknown scope ${JSON.stringify(scope)}; use LOCAL or GLOBAL`);
  }
}

export class UnknownConsistencyError extends InvalidArgumentError {
  constructor(readonly consistency: unknown) {
    super(`unknown consistency ${JSON.stringify(consistency)}; use LINEARIZABLE or SERIALIZABLE`);
  }
}

export class InvalidRangeError extends InvalidArgumentError {
  constructor() {
    super('range start must be below range end (an empty end means no upper bound)');
  }
}

/** No leader (or no owner group) could be reached before the deadline; safe to retry. */
export class UnavailableError extends EdgeKVError {
  constructor(message: string) {
    super('UNAVAILABLE', message);
  }
}

export class DeadlineExceededError extends EdgeKVError {
  constructor(message: string) {
    super('DEADLINE_EXCEEDED', message);
  }
}

/** Maps the project's error codes onto gRPC status codes. */
export function grpcStatusOf(error: unknown): GrpcStatus {
  const code = error instanceof EdgeKVError ? error.code : undefined;
  switch (code) {
    case 'INVALID_ARGUMENT':
      return GrpcStatus.INVALID_ARGUMENT;
    case 'UNAVAILABLE':
    case 'NOT_LEADER':
    case 'UNREACHABLE':
    case 'MAILBOX_FULL':
    case 'ACTOR_NOT_FOUND':
      return GrpcStatus.UNAVAILABLE;
    case 'DEADLINE_EXCEEDED':
    case 'ASK_TIMEOUT':
      return GrpcStatus.DEADLINE_EXCEEDED;
    case 'CORRUPTION':
      return GrpcStatus.DATA_LOSS;
    case 'STALE_REQUEST':
      // The request id fell out of the session's window: retrying it cannot help.
      return GrpcStatus.FAILED_PRECONDITION;
    default:
      return GrpcStatus.INTERNAL;
  }
}
