import { ringId, ringSize, type RingId } from '../gateway/ring-id.js';

/**
 * How user keys live inside a group's replicated KV state. Local and global
 * keys never mix:
 *
 *   local:  "L:" + key
 *   global: "G:" + ringIdHex(key) (40 lowercase hex digits) + key
 *
 * Keys are bytes carried as latin1 strings (one char per byte), whose order
 * under the state machine's UTF-8 comparison is the bytes' order. The ring id
 * first makes a ring interval a contiguous run of global keys, so moving a
 * range between groups is a range scan. The cost: a global range query by
 * user key cannot use that order and scans every global key of each group.
 */
export const LOCAL_PREFIX = 'L:';
export const GLOBAL_PREFIX = 'G:';
/** The first string after every key with the prefix ("L:" → "L;"). */
const LOCAL_END = 'L;';
const GLOBAL_END = 'G;';
const RING_HEX_DIGITS = 40;

export function bytesToKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function keyToBytes(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

export function ringHex(id: RingId): string {
  return id.toString(16).padStart(RING_HEX_DIGITS, '0');
}

export function localKey(user: Uint8Array): string {
  return LOCAL_PREFIX + bytesToKey(user);
}

export function globalKey(user: Uint8Array, id: RingId = ringId(user)): string {
  return GLOBAL_PREFIX + ringHex(id) + bytesToKey(user);
}

export function isLocalKey(stored: string): boolean {
  return stored.startsWith(LOCAL_PREFIX);
}

export function isGlobalKey(stored: string): boolean {
  return stored.startsWith(GLOBAL_PREFIX);
}

/** The user key of a stored key (either keyspace), as a latin1 string. */
export function userKeyOf(stored: string): string {
  return isGlobalKey(stored) ? stored.slice(GLOBAL_PREFIX.length + RING_HEX_DIGITS) : stored.slice(LOCAL_PREFIX.length);
}

/** The ring id of a stored global key. */
export function ringIdOf(stored: string): RingId {
  return BigInt(`0x${stored.slice(GLOBAL_PREFIX.length, GLOBAL_PREFIX.length + RING_HEX_DIGITS)}`);
}

/** Stored-key bounds [start, end) of local user keys in [start, end); an empty `end` means no upper bound. */
export function localBounds(start: Uint8Array, end: Uint8Array): { start: string; end: string } {
  return { start: localKey(start), end: end.byteLength === 0 ? LOCAL_END : localKey(end) };
}

export const allLocal = { start: LOCAL_PREFIX, end: LOCAL_END } as const;
export const allGlobal = { start: GLOBAL_PREFIX, end: GLOBAL_END } as const;

/**
 * A linear piece of the ring: ids in [lo, hi], both ends included,
 * 0 <= lo <= hi < 2^160. A ring interval (from, to] is one or two of them.
 */
export interface IdSpan {
  lo: RingId;
  hi: RingId;
}

/** The ring interval (from, to] as linear spans; from === to is the whole ring. */
export function ringSpans(from: RingId, to: RingId): IdSpan[] {
  const max = ringSize() - 1n;
  if (from === to) return [{ lo: 0n, hi: max }];
  if (from < to) return [{ lo: from + 1n, hi: to }];
  // Wraps past zero: (from, max] and [0, to].
  const out: IdSpan[] = [{ lo: 0n, hi: to }];
  if (from < max) out.push({ lo: from + 1n, hi: max });
  return out;
}

/** Stored-key bounds [start, end) of the global keys whose ids are in `span`. */
export function spanBounds(span: IdSpan): { start: string; end: string } {
  const start = GLOBAL_PREFIX + ringHex(span.lo);
  const end = span.hi === ringSize() - 1n ? GLOBAL_END : GLOBAL_PREFIX + ringHex(span.hi + 1n);
  return { start, end };
}

export function spanContains(span: IdSpan, id: RingId): boolean {
  return span.lo <= id && id <= span.hi;
}

/** Sorted, disjoint, merged union of spans. */
export function normalizeSpans(spans: readonly IdSpan[]): IdSpan[] {
  const sorted = [...spans].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: IdSpan[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && s.lo <= last.hi + 1n) {
      if (s.hi > last.hi) last.hi = s.hi;
    } else {
      out.push({ lo: s.lo, hi: s.hi });
    }
  }
  return out;
}

/** `spans` minus `cut`. */
export function subtractSpans(spans: readonly IdSpan[], cut: readonly IdSpan[]): IdSpan[] {
  let rest = normalizeSpans(spans);
  for (const c of cut) {
    const next: IdSpan[] = [];
    for (const s of rest) {
      if (c.hi < s.lo || c.lo > s.hi) {
        next.push(s);
        continue;
      }
      if (s.lo < c.lo) next.push({ lo: s.lo, hi: c.lo - 1n });
      if (s.hi > c.hi) next.push({ lo: c.hi + 1n, hi: s.hi });
    }
    rest = next;
  }
  return rest;
}

/** Does the user key (latin1) fall in [start, end) (empty end: unbounded)? */
export function userKeyInRange(user: string, start: string, end: string): boolean {
  return user >= start && (end.length === 0 || user < end);
}
