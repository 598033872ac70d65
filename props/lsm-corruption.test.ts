import fc from 'fast-check';
import { describe, it } from 'vitest';
import { LsmEngine, type EngineOptions } from '../storage/engine.js';
import { CorruptionError } from '../storage/errors.js';
import { MemoryFileSystem } from '../storage/fs-memory.js';
import { ManualClock } from '../storage/testing/manual-clock.js';
import { checkProperty } from './support.js';

/** Long runs (PROPS_RUNS=10000) need more than vitest's default minute. */
const propsTimeoutMs = Math.max(60_000, Number(process.env.PROPS_RUNS ?? 0) * 500);

/**
 * One flipped bit anywhere in any SSTable or WAL record is detected, reported
 * as a CorruptionError, and never turned into a wrong answer.
 */

const keyOf = (n: number) => Buffer.from(`key${String(n).padStart(4, '0')}`);

function options(fs: MemoryFileSystem, extra: Partial<EngineOptions> = {}): EngineOptions {
  return {
    fs,
    dir: '/db',
    clock: new ManualClock(),
    autoCompactions: false,
    writeBufferSizeBytes: 1 << 20,
    blockSizeBytes: 200,
    blockRestartInterval: 4,
    ...extra,
  };
}

const scenario = fc.record({
  /** Writes in generations; each generation but the last is flushed to its own table. */
  generations: fc.array(
    fc.array(fc.record({ key: fc.integer({ min: 0, max: 200 }), value: fc.option(fc.string({ maxLength: 30 }), { nil: null }) }), {
      minLength: 1,
      maxLength: 40,
    }),
    { minLength: 1, maxLength: 4 },
  ),
  target: fc.constantFrom('sst' as const, 'wal' as const),
  which: fc.nat(),
  position: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  bit: fc.integer({ min: 0, max: 7 }),
});

type Model = Map<number, string>;

describe('LSM corruption detection', () => {
  it('detects, reports and never serves a flipped bit in an SSTable block or WAL record', async () => {
    await checkProperty(
      'props/lsm-corruption.test.ts',
      fc.asyncProperty(scenario, async (s) => {
        const fs = new MemoryFileSystem();
        const e = await LsmEngine.open(options(fs));
        /** Model after each write, to know which prefixes a WAL replay may stop at. */
        const states: Model[] = [new Map()];
        const lastGen = s.generations.length - 1;
        for (const [g, writes] of s.generations.entries()) {
          for (const w of writes) {
            const next = new Map(states[states.length - 1]!);
            if (w.value === null) {
              await e.delete('local', keyOf(w.key), { sync: true });
              next.delete(w.key);
            } else {
              await e.put('local', keyOf(w.key), Buffer.from(w.value), { sync: true });
              next.set(w.key, w.value);
            }
            states.push(next);
          }
          if (g < lastGen) await e.flush();
        }
        const flushedUpTo = states.length - 1 - s.generations[lastGen]!.length;
        const final = states[states.length - 1]!;
        await e.close();

        const files = fs
          .list('/db')
          .filter((n) => n.endsWith(s.target === 'sst' ? '.sst' : '.log'))
          .filter((n) => fs.fileSize(`/db/${n}`) > 0);
        if (files.length === 0) return;
        const file = `/db/${files[s.which % files.length]!}`;
        const offset = Math.floor(s.position * fs.fileSize(file));
        fs.flipBit(file, offset, s.bit);

        const reported: CorruptionError[] = [];
        if (s.target === 'wal') {
          await expectRejects(LsmEngine.open(options(fs, { walRecovery: 'absolute-consistency' })), `WAL flip at ${file}:${offset}`);
          const r = await LsmEngine.open(options(fs, { onCorruption: (err) => reported.push(err) }));
          if (reported.length !== 1) throw new Error(`WAL flip at ${file}:${offset}.${s.bit} reported ${reported.length} times`);
          // Replay stops before the damaged record: the engine equals the model after some earlier write.
          const actual = new Map(r.scan('local').map((x) => [Number(x.key.toString().slice(3)), x.value.toString()] as const));
          const match = states.findIndex((m, i) => i >= flushedUpTo && same(m, actual));
          if (match < 0) throw new Error(`after WAL flip at ${file}:${offset} the engine holds a state no prefix of the writes had`);
          await r.close();
          return;
        }

        // Opening reads no table data; the damage surfaces on reads.
        const r = await LsmEngine.open(options(fs, { onCorruption: (err) => reported.push(err) }));
        let detected = reported.length > 0;
        for (let k = 0; k <= 200; k++) {
          try {
            const got = r.get('local', keyOf(k))?.toString();
            if (got !== final.get(k)) throw new Error(`SST flip at ${file}:${offset}.${s.bit}: get(${k}) served ${got}, truth is ${final.get(k)}`);
          } catch (err) {
            if (!(err instanceof CorruptionError)) throw err;
            detected = true;
          }
        }
        try {
          const all = r.scan('local');
          for (const x of all) {
            const k = Number(x.key.toString().slice(3));
            if (final.get(k) !== x.value.toString()) throw new Error(`SST flip at ${file}:${offset}: scan served a wrong value for ${k}`);
          }
          if (all.length !== final.size) throw new Error(`SST flip at ${file}:${offset}: scan returned ${all.length} keys, truth has ${final.size}`);
        } catch (err) {
          if (!(err instanceof CorruptionError)) throw err;
          detected = true;
        }
        if (!detected) throw new Error(`SST flip at ${file}:${offset}.${s.bit} went unnoticed`);
        if (reported.length === 0) throw new Error(`SST flip at ${file}:${offset}.${s.bit} was thrown but never reported`);
        await r.close();
      }),
      150,
    );
  }, propsTimeoutMs);
});

function same(a: Model, b: Map<number, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

async function expectRejects(p: Promise<LsmEngine>, what: string): Promise<void> {
  try {
    const e = await p;
    await e.close();
  } catch (err) {
    if (err instanceof CorruptionError) return;
    throw err;
  }
  throw new Error(`${what}: absolute-consistency recovery opened anyway`);
}
