import { describe, expect, it } from 'vitest';
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import { checkEvents, checkOperations } from './check.js';
import { InvalidHistoryError } from './errors.js';
import { kv, kvModel, type KvInput, type KvOutput } from './kv-model.js';
import { HistoryRecorder } from './recorder.js';

/** A clock that only moves when told: every event below lands on the same millisecond unless advanced. */
class ManualClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
  setTimeout(): TimerHandle {
    throw new Error('not used');
  }
  clearTimeout(): void {}
}

describe('HistoryRecorder', () => {
  it('records calls and answers with times from an injected Clock', () => {
    const clock = new ManualClock();
    const rec = new HistoryRecorder<KvInput, KvOutput>(clock);
    const a = rec.invoke('c1', kv.put('x', '1'));
    clock.t = 5;
    a.ok(kv.ok);
    expect(rec.events()).toEqual([
      { kind: 'call', opId: 0, clientId: 'c1', input: kv.put('x', '1'), timeMs: 0 },
      { kind: 'return', opId: 0, output: kv.ok, timeMs: 5 },
    ]);
    expect(rec.operations()).toEqual([{ status: 'ok', clientId: 'c1', input: kv.put('x', '1'), output: kv.ok, callTimeMs: 0, returnTimeMs: 5 }]);
  });

  it('keeps real-time order inside one clock tick, which operations() cannot', () => {
    const rec = new HistoryRecorder<KvInput, KvOutput>(() => 42);
    rec.invoke(1, kv.put('x', '1')).ok(kv.ok);
    rec.invoke(2, kv.get('x')).ok(kv.notFound);
    // The read began after the write ended: a stale read, visible only with event order.
    expect(checkEvents(kvModel, rec.events()).verdict).toBe('not-linearizable');
    expect(checkOperations(kvModel, rec.operations()).verdict).toBe('linearizable');
  });

  it('leaves unanswered calls pending and drops failed ones', () => {
    let t = 0;
    const rec = new HistoryRecorder<KvInput, KvOutput>(() => t++);
    rec.invoke(1, kv.put('x', '1')); // timed out: never ended
    rec.invoke(2, kv.put('x', '2')).fail();
    rec.invoke(3, kv.get('x')).ok(kv.found('1'));
    expect(rec.operations().map((op) => op.status)).toEqual(['pending', 'failed', 'ok']);
    expect(checkEvents(kvModel, rec.events()).ok).toBe(true);
  });

  it('refuses to end a call twice', () => {
    const rec = new HistoryRecorder<KvInput, KvOutput>(() => 0);
    const call = rec.invoke(1, kv.get('x'));
    call.ok(kv.notFound);
    expect(() => call.fail()).toThrow(InvalidHistoryError);
  });

  it('wraps a request: answers are recorded, errors classified then rethrown', async () => {
    const rec = new HistoryRecorder<KvInput, KvOutput>(() => 0);
    await expect(rec.record(1, kv.put('x', '1'), async () => kv.ok)).resolves.toEqual(kv.ok);
    await expect(rec.record(2, kv.put('x', '2'), () => Promise.reject(new Error('timeout')))).rejects.toThrow('timeout');
    await expect(rec.record(3, kv.put('x', '3'), () => Promise.reject(new Error('not leader')), () => ({ status: 'failed' }))).rejects.toThrow('not leader');
    await expect(rec.record(4, kv.get('y'), () => Promise.reject(new Error('NotFound')), () => ({ status: 'ok', output: kv.notFound }))).rejects.toThrow();
    expect(rec.operations().map((op) => op.status)).toEqual(['ok', 'pending', 'failed', 'ok']);
    expect(rec.size).toBe(7);
  });
});
