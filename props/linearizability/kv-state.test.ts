import { describe, expect, it } from 'vitest';
import { KvState } from './kv-state.js';

describe('KvState', () => {
  it('is immutable', () => {
    const a = KvState.empty.with('x', '1');
    const b = a.with('x', '2');
    expect(a.get('x')).toBe('1');
    expect(b.get('x')).toBe('2');
    expect(KvState.empty.size).toBe(0);
  });

  it('hashes and compares by content, not by history', () => {
    const a = KvState.empty.with('x', '1').with('y', '2');
    const b = KvState.empty.with('y', '2').with('z', '9').with('x', '0').with('x', '1').without('z');
    expect(a.equals(b)).toBe(true);
    expect(a.hash).toBe(b.hash);
    expect(a.equals(b.with('y', '3'))).toBe(false);
    expect(KvState.empty.with('x', '1').without('x').hash).toBe(KvState.empty.hash);
  });

  it('reads and deletes half-open ranges in key order', () => {
    const s = KvState.empty.with('b', '2').with('a', '1').with('c', '3').with('d', '4');
    expect(s.range('b', 'd')).toEqual([
      ['b', '2'],
      ['c', '3'],
    ]);
    expect(s.range('c', 'c')).toEqual([]);
    const t = s.withoutRange('b', 'd');
    expect(t.entries()).toEqual([
      ['a', '1'],
      ['d', '4'],
    ]);
    expect(t.equals(KvState.empty.with('a', '1').with('d', '4'))).toBe(true);
    expect(t.hash).toBe(KvState.empty.with('d', '4').with('a', '1').hash);
    expect(s.withoutRange('x', 'z')).toBe(s);
  });
});
