import { EdgeKVError } from '../runtime/errors.js';

export { CorruptionError } from '../runtime/errors.js';

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

/** A file the engine needs is missing or unreadable (e.g. a snapshot without its files). */
export class StorageIOError extends EdgeKVError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORAGE_IO', message, options);
  }
}

/** Another engine holds the directory (the LOCK file names the holder). */
export class EngineLockedError extends EdgeKVError {
  constructor(readonly dir: string) {
    super('ENGINE_LOCKED', `storage directory ${dir} is already open in this process`);
  }
}
