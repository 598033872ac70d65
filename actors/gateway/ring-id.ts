import { createHash } from 'node:crypto';
import { InvalidRingIdError } from './errors.js';

/** A position on the Chord ring: an integer in [0, 2^bits). */
export type RingId = bigint;

/** SHA-1 gives 160 bits; Chord's m. */
export const RING_BITS = 160;

/** Size of a ring of `bits` bits (2^bits). */
export function ringSize(bits: number = RING_BITS): bigint {
  return 1n << BigInt(bits);
}

/**
 * The ring id of a key or a gateway name: SHA-1 read as a big-endian unsigned
 * integer. SHA-1 is not used for security here, only to spread ids uniformly,
 * which is all consistent hashing needs (and what EdgeKV and Chord use).
 */
export function ringId(key: Uint8Array | string): RingId {
  const digest = createHash('sha1').update(key).digest('hex');
  return BigInt(`0x${digest}`);
}

/** (id + 2^i) mod 2^bits: the start of finger i. */
export function addPowerOfTwo(id: RingId, i: number, bits: number = RING_BITS): RingId {
  return (id + (1n << BigInt(i))) % ringSize(bits);
}

/** Clockwise distance from `from` to `to` (0 when equal). */
export function ringDistance(from: RingId, to: RingId, bits: number = RING_BITS): RingId {
  const size = ringSize(bits);
  return (((to - from) % size) + size) % size;
}

/** True if `id` is a bigint on a ring of `bits` bits. */
export function isRingId(id: unknown, bits: number = RING_BITS): id is RingId {
  return typeof id === 'bigint' && id >= 0n && id < ringSize(bits);
}

/** Throws InvalidRingIdError unless `id` is a bigint on a ring of `bits` bits (ids arrive in messages from peers). */
export function checkRingId(id: unknown, bits: number = RING_BITS): RingId {
  if (!isRingId(id, bits)) throw new InvalidRingIdError(id, bits);
  return id;
}

/** The first 10 hex digits: enough to tell ids apart in logs without 40-digit noise. */
export function formatRingId(id: RingId): string {
  return id.toString(16).padStart(40, '0').slice(0, 10);
}
