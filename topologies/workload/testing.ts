// Test doubles for the workload driver: a discrete-event fake clock and an
// in-memory key-value target whose calls take clock time.
import type { Scope } from '../../api/types.js';
import type { DriverClock, KvOps } from './driver.js';

/** Virtual milliseconds; `drive(p)` runs timers in order until `p` settles. */
export class FakeClock implements DriverClock {
  nowMs = 0;
  private timers: Array<{ at: number; seq: number; fire: () => void }> = [];
  private seq = 0;

  now(): number {
    return this.nowMs;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.push({ at: this.nowMs + Math.max(0, ms), seq: this.seq++, fire: resolve });
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    });
  }

  async drive<T>(p: Promise<T>, maxMs = 10 * 60_000): Promise<T> {
    let done = false;
    const out = p.finally(() => (done = true));
    const limit = this.nowMs + maxMs;
    for (;;) {
      await new Promise<void>((r) => setImmediate(r));
      if (done) return out;
      const next = this.timers.shift();
      if (next === undefined) throw new Error('nothing scheduled and the promise is still pending');
      if (next.at > limit) throw new Error(`still pending after ${maxMs} virtual ms`);
      this.nowMs = Math.max(this.nowMs, next.at);
      next.fire();
    }
  }
}

export interface MemoryKvCall {
  client: number;
  group: string;
  kind: 'get' | 'put' | 'scan';
  key: string;
  scope: Scope;
  atMs: number;
}

/**
 * One in-memory store for the whole cluster: a global keyspace and a local
 * one per group. Each call takes `latencyMs(kind)` of clock time; `fail`
 * decides which calls reject.
 */
export class MemoryKv {
  readonly global = new Map<string, Buffer>();
  readonly local = new Map<string, Map<string, Buffer>>();
  readonly calls: MemoryKvCall[] = [];

  constructor(
    private readonly clock: FakeClock,
    private readonly latencyMs: (kind: 'get' | 'put' | 'scan', call: number) => number = () => 2,
    public fail: (call: MemoryKvCall) => string | undefined = () => undefined,
  ) {}

  private space(group: string, scope: Scope): Map<string, Buffer> {
    if (scope === 'global') return this.global;
    let m = this.local.get(group);
    if (m === undefined) this.local.set(group, (m = new Map()));
    return m;
  }

  private async call(client: number, group: string, kind: 'get' | 'put' | 'scan', key: string, scope: Scope): Promise<void> {
    const c: MemoryKvCall = { client, group, kind, key, scope, atMs: this.clock.now() };
    this.calls.push(c);
    await this.clock.sleep(this.latencyMs(kind, this.calls.length));
    const error = this.fail(c);
    if (error !== undefined) throw new Error(error);
  }

  client(index: number, group: string): KvOps {
    return {
      get: async (key, scope) => {
        await this.call(index, group, 'get', key, scope);
        return this.space(group, scope).has(key);
      },
      put: async (key, value, scope) => {
        await this.call(index, group, 'put', key, scope);
        this.space(group, scope).set(key, value);
      },
      scan: async (start, limit, scope) => {
        await this.call(index, group, 'scan', start, scope);
        return [...this.space(group, scope).keys()].filter((k) => k >= start).sort().slice(0, limit).length;
      },
    };
  }
}
