import { InvalidArgumentError } from './errors.js';

/**
 * Where an actor lives: the name of its actor system (unique in the cluster:
 * one per thread, process or simulated node) and its path inside it.
 */
export interface Address {
  readonly system: string;
  readonly path: string;
}

export function formatAddress(a: Address): string {
  return `${a.system}/${a.path}`;
}

const namePattern = /^[A-Za-z0-9_.\-:$]+$/;

/** Actor and system names: no slashes (they separate path segments), nothing empty. */
export function checkName(kind: string, name: string): void {
  if (!namePattern.test(name)) {
    throw new InvalidArgumentError(`${kind} name "${name}" must match ${namePattern}`);
  }
}
