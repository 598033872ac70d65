import { describe, expect, it } from 'vitest';
import { Bitset } from './bitset.js';

describe('Bitset', () => {
  it('sets, clears and counts across word boundaries', () => {
    const b = new Bitset(100);
    for (const i of [0, 31, 32, 63, 99]) b.set(i);
    expect([0, 31, 32, 63, 99].every((i) => b.has(i))).toBe(true);
    expect(b.has(1)).toBe(false);
    expect(b.count()).toBe(5);
    b.clear(32);
    expect(b.has(32)).toBe(false);
    expect(b.count()).toBe(4);
  });

  it('keeps the hash a function of the members, whatever the order of changes', () => {
    const a = new Bitset(70);
    const b = new Bitset(70);
    a.set(3);
    a.set(65);
    a.set(10);
    a.clear(10);
    b.set(65);
    b.set(3);
    b.set(3); // idempotent: must not toggle the hash back
    expect(a.hash).toBe(b.hash);
    expect(a.equals(b)).toBe(true);
    b.clear(3);
    expect(a.equals(b)).toBe(false);
    b.set(3);
    expect(a.equals(b)).toBe(true);
  });

  it('clones independently', () => {
    const a = new Bitset(40);
    a.set(1);
    const c = a.clone();
    c.set(2);
    expect(a.has(2)).toBe(false);
    expect(c.has(1) && c.has(2)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });
});

describe('Bitset snapshots', () => {
  it('match exactly the members they were taken with', () => {
    const b = new Bitset(200);
    for (let i = 0; i < 70; i++) b.set(i);
    b.set(100);
    const snap = b.snapshot();
    // Leading full words and trailing empty ones are not stored.
    expect(snap.lead).toBe(2);
    expect(snap.window.length).toBe(2);
    expect(b.matches(snap)).toBe(true);
    b.set(150);
    expect(b.matches(snap)).toBe(false);
    b.clear(150);
    b.clear(5);
    expect(b.matches(snap)).toBe(false);
    b.set(5);
    expect(b.matches(snap)).toBe(true);
    expect(new Bitset(200).matches(new Bitset(200).snapshot())).toBe(true);
  });
});
