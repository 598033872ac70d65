import { hashString } from './hash.js';
import type { Model } from './model.js';

export type RegisterValue = string | number | boolean | null;

export type RegisterInput = { readonly kind: 'write'; readonly value: RegisterValue } | { readonly kind: 'read' };

export type RegisterOutput = { readonly kind: 'ok' } | { readonly kind: 'value'; readonly value: RegisterValue };

export const register = {
  write: (value: RegisterValue): RegisterInput => ({ kind: 'write', value }),
  read: { kind: 'read' } as RegisterInput,
  ok: { kind: 'ok' } as RegisterOutput,
  value: (value: RegisterValue): RegisterOutput => ({ kind: 'value', value }),
} as const;

/**
 * One read/write register holding `initial` before any write. A single
 * object, so it does not partition: use it for histories of one cell (a Raft
 * log slot, a leader lease, one key checked without the KV model).
 */
export function registerModel(initial: RegisterValue = null): Model<RegisterValue, RegisterInput, RegisterOutput> {
  return {
    name: 'register',
    init: () => initial,
    step: (state, input, output) => {
      if (input.kind === 'write') return [output === undefined || output.kind === 'ok', input.value];
      return [output === undefined || (output.kind === 'value' && Object.is(output.value, state)), state];
    },
    equal: (a, b) => Object.is(a, b),
    // typeof in the hash keeps 1 and "1" apart, as `equal` does.
    hash: (s) => hashString(`${typeof s}:${String(s)}`),
    readOnly: (input) => input.kind === 'read',
    inputKey: (input) => (input.kind === 'read' ? 'read' : `write:${typeof input.value}:${String(input.value)}`),
    describeOperation: (input, output) => {
      const call = input.kind === 'write' ? `write ${JSON.stringify(input.value)}` : 'read';
      if (output === undefined) return `${call} → ? (never returned)`;
      return `${call} → ${output.kind === 'ok' ? 'ok' : JSON.stringify(output.value)}`;
    },
    describeState: (s) => JSON.stringify(s),
  };
}
