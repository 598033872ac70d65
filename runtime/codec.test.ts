import { describe, expect, it } from 'vitest';
import { ActorSystem, CorruptionError, MemoryLogger } from './index.js';
import { decode, encode } from './codec.js';

describe('codec', () => {
  it('round-trips messages and rebinds refs to the receiving system', () => {
    const a = new ActorSystem({ name: 'a', logger: new MemoryLogger() });
    const b = new ActorSystem({ name: 'b', logger: new MemoryLogger() });
    const msg = { kind: 'hello', replyTo: a.ref('x/y'), data: Buffer.from([1, 2, 3]), big: 2n ** 60n, ringId: 2n ** 159n + 7n };
    const out = decode<typeof msg>(encode(msg), b);
    expect(out.kind).toBe('hello');
    expect(out.replyTo.via).toBe(b);
    expect(out.replyTo.address).toEqual({ system: 'a', path: 'x/y' });
    expect(Buffer.compare(out.data, Buffer.from([1, 2, 3]))).toBe(0);
    expect(out.big).toBe(2n ** 60n);
    expect(out.ringId).toBe(2n ** 159n + 7n);
  });

  it('reports malformed bytes as CorruptionError', () => {
    const b = new ActorSystem({ name: 'b', logger: new MemoryLogger() });
    expect(() => decode(Buffer.from([0x92, 0x01]), b)).toThrow(CorruptionError);
    expect(() => decode(Buffer.from([0xdc, 0xff, 0xff]), b)).toThrow(CorruptionError);
  });
});
