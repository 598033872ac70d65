import { EdgeKVError } from '../runtime/errors.js';

export { CorruptionError } from '../runtime/errors.js';
export { DirectoryLockedError } from './dir-lock.js';

/** A key longer than the engine accepts; nothing was written. */
export class KeyTooLargeError extends EdgeKVError {
  constructor(readonly sizeBytes: number, readonly maxBytes: number) {
    super('KEY_TOO_LARGE', `key of ${sizeBytes} bytes exceeds the limit of ${maxBytes} bytes`);
  }
}

/** A value longer than the engine accepts; nothing was written. */
export class ValueTooLargeError extends EdgeKVError {
  constructor(readonly sizeBytes: number, readonly maxBytes: number) {
    super('VALUE_TOO_LARGE', `value of ${sizeBytes} bytes exceeds the limit of ${maxBytes} bytes`);
  }
}

/** The keyspace name is neither `local` nor `global`. */
export class UnknownKeyspaceError extends EdgeKVError {
  constructor(readonly keyspace: string) {
    super('UNKNOWN_KEYSPACE', `unknown keyspace "${keyspace}"; use "local" or "global"`);
  }
}

/** The engine was closed, or stopped after a background I/O error; reopen it. */
export class EngineClosedError extends EdgeKVError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('ENGINE_CLOSED', `storage engine is not usable: ${reason}`, options);
  }
}
