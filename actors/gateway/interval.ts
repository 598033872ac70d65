import type { RingId } from './ring-id.js';

/** Which ends of an interval on the ring are included. */
export type Bounds = '()' | '(]' | '[)' | '[]';

/**
 * Is `x` in the interval from `a` clockwise to `b`? Wraps past zero when
 * a > b. Equal endpoints follow Chord: (a, a) is the whole ring but a (a node
 * alone is its own successor, so everyone else lies between), and (a, a] and
 * [a, a) and [a, a] are the whole ring.
 */
export function between(a: RingId, x: RingId, b: RingId, bounds: Bounds = '()'): boolean {
  if (x === a) return bounds[0] === '[' || (a === b && bounds[1] === ']');
  if (x === b) return bounds[1] === ']' || (a === b && bounds[0] === '[');
  if (a < b) return a < x && x < b;
  if (a > b) return x > a || x < b;
  return true;
}

/** x ∈ (a, b). */
export function betweenOpen(a: RingId, x: RingId, b: RingId): boolean {
  return between(a, x, b, '()');
}

/** x ∈ (a, b]: the range a node b owns when its predecessor is a. */
export function betweenRightClosed(a: RingId, x: RingId, b: RingId): boolean {
  return between(a, x, b, '(]');
}
