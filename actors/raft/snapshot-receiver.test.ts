import { describe, expect, it } from 'vitest';
import type { SnapMsg } from './messages.js';
import { SnapshotReceiver } from './snapshot-receiver.js';

const meta = { index: 10, term: 2, confState: { voters: [1, 2, 3], learners: [] } };
const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7]);
const chunk = (offset: number, len: number, m = meta): SnapMsg => ({
  type: 'snap',
  from: 1,
  to: 2,
  term: 2,
  meta: m,
  offset,
  totalBytes: data.byteLength,
  chunk: data.subarray(offset, offset + len),
});

describe('SnapshotReceiver', () => {
  it('reassembles chunks in order', () => {
    const r = new SnapshotReceiver();
    expect(r.accept(chunk(0, 3))).toEqual({ kind: 'need', nextOffset: 3 });
    expect(r.accept(chunk(3, 3))).toEqual({ kind: 'need', nextOffset: 6 });
    const done = r.accept(chunk(6, 3));
    expect(done.kind).toBe('done');
    expect(done.kind === 'done' && [...done.snapshot.data]).toEqual([...data]);
    expect(done.kind === 'done' && done.snapshot.meta).toEqual(meta);
  });

  it('refuses a gap, a duplicate or another snapshot, naming the offset it wants', () => {
    const r = new SnapshotReceiver();
    r.accept(chunk(0, 3));
    expect(r.accept(chunk(6, 1))).toEqual({ kind: 'need', nextOffset: 3 });
    expect(r.accept(chunk(0 + 3, 0))).toEqual({ kind: 'need', nextOffset: 3 });
    expect(r.accept(chunk(3, 3, { ...meta, index: 11 }))).toEqual({ kind: 'need', nextOffset: 0 });
    expect(r.accept(chunk(3, 4)).kind).toBe('done');
  });

  it('refuses a chunk that runs past the announced size', () => {
    const r = new SnapshotReceiver();
    r.accept(chunk(0, 5));
    expect(r.accept({ ...chunk(5, 2), chunk: new Uint8Array(5) })).toEqual({ kind: 'need', nextOffset: 5 });
  });

  it('an empty snapshot completes at once', () => {
    const r = new SnapshotReceiver();
    const out = r.accept({ ...chunk(0, 0), totalBytes: 0 });
    expect(out.kind).toBe('done');
  });
});
