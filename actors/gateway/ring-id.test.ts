import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidRingIdError } from './errors.js';
import { addPowerOfTwo, checkRingId, formatRingId, RING_BITS, ringDistance, ringId, ringSize } from './ring-id.js';

describe('ring ids', () => {
  it('is SHA-1 read as a big-endian 160-bit integer', () => {
    const hex = createHash('sha1').update('gateway-1').digest('hex');
    expect(ringId('gateway-1')).toBe(BigInt(`0x${hex}`));
    expect(ringId(new TextEncoder().encode('gateway-1'))).toBe(ringId('gateway-1'));
    // SHA-1("abc") from FIPS 180-1.
    expect(ringId('abc')).toBe(0xa9993e364706816aba3e25717850c26c9cd0d89dn);
    expect(ringId('abc') < ringSize(RING_BITS)).toBe(true);
  });

  it('adds powers of two modulo 2^m', () => {
    expect(addPowerOfTwo(8n, 0, 6)).toBe(9n);
    expect(addPowerOfTwo(8n, 5, 6)).toBe(40n);
    expect(addPowerOfTwo(60n, 3, 6)).toBe(4n);
    const top = ringSize() - 1n;
    expect(addPowerOfTwo(top, 0)).toBe(0n);
    expect(addPowerOfTwo(0n, 159)).toBe(1n << 159n);
  });

  it('measures clockwise distance with wrap-around', () => {
    expect(ringDistance(10n, 20n, 6)).toBe(10n);
    expect(ringDistance(60n, 2n, 6)).toBe(6n);
    expect(ringDistance(5n, 5n, 6)).toBe(0n);
  });

  it('validates ids that come from peers', () => {
    expect(checkRingId(5n)).toBe(5n);
    expect(() => checkRingId(-1n)).toThrow(InvalidRingIdError);
    expect(() => checkRingId(ringSize())).toThrow(InvalidRingIdError);
    expect(() => checkRingId(5)).toThrow(InvalidRingIdError);
    expect(formatRingId(0xa9993e364706816aba3e25717850c26c9cd0d89dn)).toBe('a9993e3647');
  });
});
