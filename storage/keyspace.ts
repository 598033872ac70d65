import { UnknownKeyspaceError } from './errors.js';

/**
 * EdgeKV's two stores share one LSM tree: every key is stored behind a one-byte
 * keyspace tag, so one WAL, one memtable and one compaction serve both while
 * range operations on one keyspace never see the other.
 */
export type Keyspace = 'local' | 'global';

export const KEYSPACE_TAG: Record<Keyspace, number> = { local: 0x00, global: 0x01 };

export function keyspaceTag(ks: string): number {
  if (ks === 'local') return 0x00;
  if (ks === 'global') return 0x01;
  throw new UnknownKeyspaceError(ks);
}

export function encodeKey(tag: number, key: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(key.length + 1);
  out[0] = tag;
  out.set(key, 1);
  return out;
}

/** [start, end) of a keyspace in stored-key order; an absent end means the keyspace's end. */
export function storedRange(tag: number, start?: Uint8Array, end?: Uint8Array): { lo: Buffer; hi: Buffer } {
  return {
    lo: start === undefined ? Buffer.from([tag]) : encodeKey(tag, start),
    hi: end === undefined ? Buffer.from([tag + 1]) : encodeKey(tag, end),
  };
}
