import {
  EmptyKeyError,
  InvalidRangeError,
  KeyTooLargeError,
  UnknownConsistencyError,
  UnknownScopeError,
  ValueTooLargeError,
} from './errors.js';
import { apiLimits } from './limits.js';
import type { Consistency, Scope } from './types.js';

export function checkKey(key: Buffer): Buffer {
  if (key.length === 0) throw new EmptyKeyError();
  if (key.length > apiLimits.maxKeyBytes) throw new KeyTooLargeError(key.length);
  return key;
}

export function checkValue(value: Buffer): Buffer {
  if (value.length > apiLimits.maxValueBytes) throw new ValueTooLargeError(value.length);
  return value;
}

export function checkRange(start: Buffer, end: Buffer): void {
  if (start.length > apiLimits.maxKeyBytes) throw new KeyTooLargeError(start.length);
  if (end.length > apiLimits.maxKeyBytes) throw new KeyTooLargeError(end.length);
  if (end.length > 0 && Buffer.compare(start, end) >= 0) throw new InvalidRangeError();
}

/** proto enum (name or number) → scope; UNSPECIFIED means LOCAL. */
export function parseScope(raw: unknown): Scope {
  switch (raw) {
    case undefined:
    case 0:
    case 'SCOPE_UNSPECIFIED':
    case 1:
    case 'LOCAL':
    case 'local':
      return 'local';
    case 2:
    case 'GLOBAL':
    case 'global':
      return 'global';
    default:
      throw new UnknownScopeError(raw);
  }
}

/** proto enum (name or number) → consistency; UNSPECIFIED means LINEARIZABLE. */
export function parseConsistency(raw: unknown): Consistency {
  switch (raw) {
    case undefined:
    case 0:
    case 'CONSISTENCY_UNSPECIFIED':
    case 1:
    case 'LINEARIZABLE':
    case 'linearizable':
      return 'linearizable';
    case 2:
    case 'SERIALIZABLE':
    case 'serializable':
      return 'serializable';
    default:
      throw new UnknownConsistencyError(raw);
  }
}
