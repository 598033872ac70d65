import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { EdgeKVError } from '../runtime/errors.js';
import { grpcStatusOf, KeyTooLargeError, UnavailableError } from './errors.js';

describe('grpcStatusOf', () => {
  it('maps error codes to the gRPC status a client can act on', () => {
    expect(grpcStatusOf(new KeyTooLargeError(5000))).toBe(status.INVALID_ARGUMENT);
    expect(grpcStatusOf(new UnavailableError('no leader'))).toBe(status.UNAVAILABLE);
    expect(grpcStatusOf(new EdgeKVError('STALE_REQUEST', 'request id 3 is below the window'))).toBe(status.FAILED_PRECONDITION);
    expect(grpcStatusOf(new EdgeKVError('CORRUPTION', 'bad block'))).toBe(status.DATA_LOSS);
    expect(grpcStatusOf(new Error('surprise'))).toBe(status.INTERNAL);
  });
});
