/** Base of every error EdgeKV-TS raises on purpose; `code` is stable and machine-readable. */
export class EdgeKVError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An `ask` got no reply within its timeout. */
export class AskTimeoutError extends EdgeKVError {
  constructor(readonly target: string, readonly timeoutMs: number) {
    super('ASK_TIMEOUT', `ask to ${target} got no reply within ${timeoutMs} ms`);
  }
}

/** A bounded mailbox with the `reject` overflow policy was full. */
export class MailboxFullError extends EdgeKVError {
  constructor(readonly target: string, readonly capacity: number) {
    super('MAILBOX_FULL', `mailbox of ${target} is full (capacity ${capacity}); message rejected`);
  }
}

/** The target actor is stopped or was never there. */
export class ActorNotFoundError extends EdgeKVError {
  constructor(readonly target: string) {
    super('ACTOR_NOT_FOUND', `no live actor at ${target}; message went to dead letters`);
  }
}

/** A caller passed a value the API cannot accept; nothing was changed. */
export class InvalidArgumentError extends EdgeKVError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** Bytes read back from disk or the wire do not match their checksum. */
export class CorruptionError extends EdgeKVError {
  constructor(message: string) {
    super('CORRUPTION', message);
  }
}
