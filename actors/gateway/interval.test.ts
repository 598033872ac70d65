import { describe, expect, it } from 'vitest';
import { between, betweenOpen, betweenRightClosed } from './interval.js';

describe('between', () => {
  it('handles a < b like an ordinary interval', () => {
    expect(betweenOpen(10n, 15n, 20n)).toBe(true);
    expect(betweenOpen(10n, 10n, 20n)).toBe(false);
    expect(betweenOpen(10n, 20n, 20n)).toBe(false);
    expect(betweenOpen(10n, 25n, 20n)).toBe(false);
    expect(betweenRightClosed(10n, 20n, 20n)).toBe(true);
    expect(betweenRightClosed(10n, 10n, 20n)).toBe(false);
    expect(between(10n, 10n, 20n, '[)')).toBe(true);
    expect(between(10n, 20n, 20n, '[)')).toBe(false);
    expect(between(10n, 10n, 20n, '[]')).toBe(true);
    expect(between(10n, 20n, 20n, '[]')).toBe(true);
  });

  it('wraps past zero when a > b', () => {
    expect(betweenOpen(50n, 60n, 5n)).toBe(true);
    expect(betweenOpen(50n, 0n, 5n)).toBe(true);
    expect(betweenOpen(50n, 3n, 5n)).toBe(true);
    expect(betweenOpen(50n, 5n, 5n)).toBe(false);
    expect(betweenOpen(50n, 50n, 5n)).toBe(false);
    expect(betweenOpen(50n, 20n, 5n)).toBe(false);
    expect(betweenRightClosed(50n, 5n, 5n)).toBe(true);
    expect(betweenRightClosed(50n, 0n, 5n)).toBe(true);
    expect(between(50n, 50n, 5n, '[)')).toBe(true);
    expect(between(50n, 5n, 5n, '[)')).toBe(false);
  });

  it('treats equal endpoints as Chord does: (a,a) is all but a, the half-open and closed forms all', () => {
    for (const x of [0n, 7n, 8n, 9n, 1n << 159n]) {
      expect(betweenOpen(8n, x, 8n)).toBe(x !== 8n);
      expect(betweenRightClosed(8n, x, 8n)).toBe(true);
      expect(between(8n, x, 8n, '[)')).toBe(true);
      expect(between(8n, x, 8n, '[]')).toBe(true);
    }
  });

  it('agrees with a brute-force walk around a small ring', () => {
    const size = 16n;
    for (let a = 0n; a < size; a++) {
      for (let b = 0n; b < size; b++) {
        // Walk clockwise from a to b (a full turn when a === b), collecting the points strictly inside.
        const inside = new Set<bigint>();
        for (let x = (a + 1n) % size; x !== b; x = (x + 1n) % size) inside.add(x);
        if (a === b) for (let x = 0n; x < size; x++) if (x !== a) inside.add(x);
        for (let x = 0n; x < size; x++) {
          expect(betweenOpen(a, x, b)).toBe(inside.has(x));
          expect(betweenRightClosed(a, x, b)).toBe(inside.has(x) || x === b);
          expect(between(a, x, b, '[)')).toBe(inside.has(x) || x === a);
          expect(between(a, x, b, '[]')).toBe(inside.has(x) || x === a || x === b);
        }
      }
    }
  });
});
