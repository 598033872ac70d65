import fc from 'fast-check';
import { describe, it } from 'vitest';
import { LsmEngine, type EngineOptions } from '../storage/engine.js';
import { MemoryFileSystem } from '../storage/fs-memory.js';
import type { Keyspace } from '../storage/keyspace.js';
import { ManualClock } from '../storage/testing/manual-clock.js';
import { checkProperty } from './support.js';

/** Long runs (PROPS_RUNS=10000) need more than vitest's default minute. */
const propsTimeoutMs = Math.max(60_000, Number(process.env.PROPS_RUNS ?? 0) * 500);

/**
 * Any sequence of puts, deletes, flushes, compactions, clean restarts and
 * power losses (also in the middle of a write, flush, compaction or recovery)
 * leaves the engine equal to a map: after a power loss, equal to the map as it
 * was after some prefix of the writes that includes every write made durable.
 */

type Cmd =
  | { kind: 'put'; ks: Keyspace; key: number; value: string; sync: boolean }
  | { kind: 'del'; ks: Keyspace; key: number; sync: boolean }
  | { kind: 'batch'; ops: { ks: Keyspace; key: number; value: string | null }[] }
  | { kind: 'flush' }
  | { kind: 'compactAll' }
  | { kind: 'tick'; ms: number }
  | { kind: 'restart' }
  | { kind: 'crash' }
  | { kind: 'crashDuring'; afterOps: number; work: Cmd[]; recoveryCrashAfter: number | null }
  | { kind: 'check'; key: number; ks: Keyspace; start: number; end: number }
  /** Opens a lazy iterator: it must yield the state of this moment, whatever happens later. */
  | { kind: 'iterOpen'; ks: Keyspace }
  | { kind: 'iterStep'; n: number };

const KEYS = 24;
const ks = fc.constantFrom<Keyspace>('local', 'global');
const key = fc.integer({ min: 0, max: KEYS - 1 });
const value = fc.string({ minLength: 0, maxLength: 40 });

const write: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('put' as const), ks, key, value, sync: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('del' as const), ks, key, sync: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      ops: fc.array(fc.record({ ks, key, value: fc.option(value, { nil: null }) }), { minLength: 1, maxLength: 6, size: 'max' }),
    }),
  },
);
const maintenance: fc.Arbitrary<Cmd> = fc.oneof(
  fc.constant<Cmd>({ kind: 'flush' }),
  fc.constant<Cmd>({ kind: 'compactAll' }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 50 }) }),
);
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 20, arbitrary: write },
  { weight: 4, arbitrary: maintenance },
  { weight: 1, arbitrary: fc.constant<Cmd>({ kind: 'restart' }) },
  { weight: 1, arbitrary: fc.constant<Cmd>({ kind: 'crash' }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('crashDuring' as const),
      afterOps: fc.integer({ min: 1, max: 30 }),
      work: fc.array(fc.oneof({ weight: 3, arbitrary: write }, { weight: 1, arbitrary: maintenance }), { minLength: 1, maxLength: 12, size: 'max' }),
      recoveryCrashAfter: fc.option(fc.integer({ min: 1, max: 15 }), { nil: null }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('check' as const), key, ks, start: key, end: fc.integer({ min: 0, max: KEYS }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('iterOpen' as const), ks }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('iterStep' as const), n: fc.integer({ min: 1, max: 6 }) }) },
);

const keyOf = (n: number) => Buffer.from(`key${String(n).padStart(3, '0')}`);
type State = Map<string, string>;
const slot = (k: Keyspace, n: number) => `${k}/${keyOf(n).toString()}`;

/** Engine sizes small enough that a few writes flush and compact through several levels. */
function options(fs: MemoryFileSystem, clock: ManualClock): EngineOptions {
  return {
    fs,
    dir: '/db',
    clock,
    writeBufferSizeBytes: 600,
    maxWriteBufferNumber: 2,
    level0FileNumCompactionTrigger: 2,
    level0SlowdownWritesTrigger: 4,
    level0StopWritesTrigger: 6,
    maxBytesForLevelBaseBytes: 500,
    maxBytesForLevelMultiplier: 2,
    targetFileSizeBaseBytes: 400,
    blockSizeBytes: 128,
    blockRestartInterval: 3,
    numLevels: 4,
    delayedWriteRateBytesPerSec: 50_000,
    minDelayedWriteRateBytesPerSec: 10_000,
  };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

/** What the runs exercised, printed once so a reader can see the property is not vacuous. */
const coverage = { runs: 0, flushes: 0, compactions: 0, deepestLevel: 0, powerLosses: 0, lostWrites: 0 };

class Harness {
  fs = new MemoryFileSystem();
  clock = new ManualClock();
  engine!: LsmEngine;
  /** States after each applied write; states[0] is empty. */
  states: State[] = [new Map()];
  /** Index into `states` that a power loss may not go below. */
  durable = 0;
  /** A lazy iterator in progress and what it must still yield. */
  iter: { gen: Iterator<{ key: Buffer; value: Buffer }>; expected: string[]; pos: number } | null = null;
  incarnation = 0;


  get model(): State {
    return this.states[this.states.length - 1]!;
  }

  private noteStats(): void {
    if (this.engine === undefined) return;
    const st = this.engine.stats();
    coverage.flushes += st.flushes;
    coverage.compactions += st.compactions;
    st.levels.forEach((l) => {
      if (l.files > 0 && l.level > coverage.deepestLevel) coverage.deepestLevel = l.level;
    });
  }

  async open(): Promise<void> {
    // An iterator does not outlive its engine.
    this.iter = null;
    this.noteStats();
    this.clock = new ManualClock();
    this.incarnation++;
    this.engine = await LsmEngine.open(options(this.fs, this.clock));
  }

  /** Drives time and the event loop until `p` settles (writes may be stalled behind compactions). */
  async settle<T>(p: Promise<T>): Promise<T> {
    let done = false;
    const tracked = p.finally(() => {
      done = true;
    });
    tracked.catch(() => {});
    for (let i = 0; i < 10_000 && !done; i++) {
      await turn();
      if (!done) this.clock.advance(5);
    }
    if (!done) throw new Error('operation did not settle (engine stuck)');
    return tracked;
  }

  private push(mutate: (s: State) => void): void {
    const next = new Map(this.model);
    mutate(next);
    this.states.push(next);
  }

  async run(c: Cmd): Promise<void> {
    const e = this.engine;
    switch (c.kind) {
      case 'put': {
        const p = e.put(c.ks, keyOf(c.key), Buffer.from(c.value), { sync: c.sync });
        this.push((s) => s.set(slot(c.ks, c.key), c.value));
        await this.settle(p);
        if (c.sync) this.durable = this.states.length - 1;
        return;
      }
      case 'del': {
        const p = e.delete(c.ks, keyOf(c.key), { sync: c.sync });
        this.push((s) => s.delete(slot(c.ks, c.key)));
        await this.settle(p);
        if (c.sync) this.durable = this.states.length - 1;
        return;
      }
      case 'batch': {
        const p = e.write(c.ops.map((o) => ({ keyspace: o.ks, key: keyOf(o.key), value: o.value === null ? undefined : Buffer.from(o.value) })));
        this.push((s) => {
          for (const o of c.ops) {
            if (o.value === null) s.delete(slot(o.ks, o.key));
            else s.set(slot(o.ks, o.key), o.value);
          }
        });
        await this.settle(p);
        return;
      }
      case 'flush':
        await this.settle(e.flush());
        this.durable = this.states.length - 1;
        return;
      case 'compactAll':
        await this.settle(e.compactAll());
        this.durable = this.states.length - 1;
        return;
      case 'tick':
        this.clock.advance(c.ms);
        await turn();
        return;
      case 'restart':
        await this.settle(e.close());
        this.durable = this.states.length - 1;
        await this.open();
        return;
      case 'crash':
        await this.powerLoss(null);
        return;
      case 'crashDuring': {
        this.fs.failAfter(c.afterOps);
        for (const w of c.work) {
          if (this.fs.crashed) break;
          try {
            await this.run(w);
          } catch {
            // The write that met the crash may or may not have reached the disk; the prefix check decides.
            break;
          }
        }
        await this.powerLoss(c.recoveryCrashAfter);
        return;
      }
      case 'check':
        this.check(c);
        return;
      case 'iterOpen': {
        this.iter?.gen.return?.();
        const expected = [...this.model]
          .filter(([k]) => k.startsWith(`${c.ks}/`))
          .map(([k, v]) => [k.slice(c.ks.length + 1), v] as const)
          .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
          .map(([k, v]) => `${k}=${v}`);
        this.iter = { gen: this.engine.iterate(c.ks), expected, pos: 0 };
        return;
      }
      case 'iterStep':
        this.stepIterator(c.n);
        return;
    }
  }

  stepIterator(n: number): void {
    const it = this.iter;
    if (it === null) return;
    for (let i = 0; i < n; i++) {
      const r = it.gen.next();
      const want = it.expected[it.pos];
      if (r.done) {
        if (want !== undefined) throw new Error(`iterator ended early: expected ${want} at ${it.pos}`);
        this.iter = null;
        return;
      }
      const got = `${r.value.key.toString()}=${r.value.value.toString()}`;
      if (got !== want) throw new Error(`iterator yielded ${got} at ${it.pos}, its snapshot says ${want}`);
      it.pos++;
    }
  }

  /** Power goes off now; the old engine may not touch the disk again. Recovery itself may crash once more. */
  private async powerLoss(recoveryCrashAfter: number | null): Promise<void> {
    this.fs.powerOff();
    for (let i = 0; i < 5; i++) await turn();
    this.fs.crash();
    if (recoveryCrashAfter !== null) {
      this.fs.failAfter(recoveryCrashAfter);
      try {
        await this.open();
        this.fs.powerOff();
        for (let i = 0; i < 5; i++) await turn();
      } catch {
        // Crashed inside recovery.
      }
      this.fs.crash();
    }
    await this.open();
    const actual = this.dump();
    for (let k = this.states.length - 1; k >= this.durable; k--) {
      if (sameState(this.states[k]!, actual)) {
        coverage.powerLosses++;
        coverage.lostWrites += this.states.length - 1 - k;
        this.states.length = k + 1;
        this.states.push(new Map(actual));
        this.durable = this.states.length - 1;
        return;
      }
    }
    throw new Error(
      `after power loss the engine matches no state between the durable point ${this.durable} and ${this.states.length - 1}: ` +
        `${JSON.stringify([...actual])} vs model ${JSON.stringify([...this.model])}`,
    );
  }

  dump(): State {
    const out: State = new Map();
    for (const k of ['local', 'global'] as const) {
      for (const { key, value } of this.engine.scan(k)) out.set(`${k}/${key.toString()}`, value.toString());
    }
    return out;
  }

  check(c: Extract<Cmd, { kind: 'check' }>): void {
    const got = this.engine.get(c.ks, keyOf(c.key))?.toString();
    const want = this.model.get(slot(c.ks, c.key));
    if (got !== want) throw new Error(`get(${c.ks}, ${c.key}) = ${got}, model says ${want}`);
    const lo = Math.min(c.start, c.end);
    const hi = Math.max(c.start, c.end);
    const scanned = this.engine.scan(c.ks, { start: keyOf(lo), end: keyOf(hi) }).map((x) => `${x.key.toString()}=${x.value.toString()}`);
    const expected = [...this.model]
      .filter(([k]) => k.startsWith(`${c.ks}/`))
      .map(([k, v]) => [k.slice(c.ks.length + 1), v] as const)
      .filter(([k]) => Buffer.compare(Buffer.from(k), keyOf(lo)) >= 0 && Buffer.compare(Buffer.from(k), keyOf(hi)) < 0)
      .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .map(([k, v]) => `${k}=${v}`);
    if (JSON.stringify(scanned) !== JSON.stringify(expected)) {
      throw new Error(`scan(${c.ks}, ${lo}, ${hi}) = ${JSON.stringify(scanned)}, model says ${JSON.stringify(expected)}`);
    }
  }

  checkAll(): void {
    const actual = this.dump();
    if (!sameState(actual, this.model)) throw new Error(`engine ${JSON.stringify([...actual])} != model ${JSON.stringify([...this.model])}`);
    for (const k of ['local', 'global'] as const) {
      for (let i = 0; i < KEYS; i++) {
        const got = this.engine.get(k, keyOf(i))?.toString();
        if (got !== this.model.get(slot(k, i))) throw new Error(`get(${k}, ${i}) = ${got}, model says ${this.model.get(slot(k, i))}`);
      }
    }
  }
}

function sameState(a: State, b: State): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

describe('LSM engine against an in-memory model', () => {
  it('matches the model through writes, flushes, compactions, restarts and crashes', async () => {
    await checkProperty(
      'props/lsm-model.test.ts',
      fc.asyncProperty(fc.array(cmd, { minLength: 10, maxLength: 150, size: 'max' }), async (cmds) => {
        const h = new Harness();
        await h.open();
        for (const c of cmds) await h.run(c);
        h.stepIterator(Number.MAX_SAFE_INTEGER);
        h.checkAll();
        await h.settle(h.engine.waitForIdle());
        h.checkAll();
        coverage.runs++;
        await h.settle(h.engine.close());
        (h as unknown as { noteStats(): void }).noteStats();
      }),
      60,
    );
    console.log(`lsm-model coverage: ${JSON.stringify(coverage)}`);
  }, propsTimeoutMs);
});
