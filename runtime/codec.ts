import { addExtension, Packr } from 'msgpackr';
import { ActorRef } from './actor-ref.js';
import type { ActorSystem } from './actor-system.js';
import { CorruptionError } from './errors.js';

/**
 * The data plane's wire encoding: msgpackr, with ActorRef as an extension so
 * refs inside messages arrive bound to the receiving system. Records are off so
 * every buffer decodes on its own (no shared structure state between ends).
 */
const packr = new Packr({ useRecords: false, useBigIntExtension: true });

let decodingFor: ActorSystem | undefined;

addExtension({
  Class: ActorRef,
  type: 0x41,
  write(ref: ActorRef<unknown>) {
    return [ref.address.system, ref.address.path];
  },
  read([system, path]: [string, string]) {
    if (decodingFor === undefined) throw new CorruptionError('an ActorRef was decoded outside of decode()');
    return new ActorRef(decodingFor, { system, path });
  },
});

export function encode(value: unknown): Buffer {
  return packr.pack(value);
}

/** Decodes `bytes`; refs in the value are bound to `system`. Throws CorruptionError on malformed input. */
export function decode<T = unknown>(bytes: Uint8Array, system: ActorSystem): T {
  decodingFor = system;
  try {
    return packr.unpack(bytes) as T;
  } catch (error) {
    if (error instanceof CorruptionError) throw error;
    throw new CorruptionError(`malformed msgpack frame (${bytes.length} bytes): ${(error as Error).message}`);
  } finally {
    decodingFor = undefined;
  }
}
