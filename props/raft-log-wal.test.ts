import fc from 'fast-check';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import type { LogStore, PersistBatch } from '../actors/raft/storage.js';
import type { Entry, HardState } from '../actors/raft/types.js';
import { encodeWalRecord } from '../storage/raft-log/codec.js';
import { LmdbLogStore } from '../storage/raft-log/lmdb.js';
import { MemoryLogStore } from '../storage/raft-log/memory.js';
import { checkProperty } from './support.js';

/** Long runs (PROPS_RUNS=1000) need more than vitest's default minute. */
const propsTimeoutMs = Math.max(60_000, Number(process.env.PROPS_RUNS ?? 0) * 1000);

/**
 * Any sequence of appends, conflict truncations, hard-state saves, compactions,
 * received snapshots, checkpoints, clean restarts and crashes (the files as
 * they are once nothing is being written, sometimes with a torn append at the
 * end of the WAL) leaves LmdbLogStore reading exactly like the in-memory
 * store. Checkpoint thresholds are tiny, so checkpoints run (in small lmdb
 * chunks) under most saves, and groups of saves are issued without waiting,
 * so saves land while checkpoints are in flight.
 */

type Save =
  /** Entries from `last + 1 - back` on (a conflict truncation when back > 0; below firstIndex they are filtered). */
  | { kind: 'append'; back: number; n: number; bump: boolean; hs: boolean; sync: boolean }
  | { kind: 'hardState'; sync: boolean }
  /** Entries after a gap: both stores must refuse them and change nothing. */
  | { kind: 'gap' }
  /** A received snapshot `ahead` past the snapshot index (maybe behind the last index), with `n` entries after it. */
  | { kind: 'install'; ahead: number; n: number };

type Cmd =
  /**
   * Saves issued together, without waiting. With `compact`, a compaction is
   * issued before them in the same turn: the store runs it after them (it
   * first checkpoints in the background), so the model applies it last.
   */
  | { kind: 'saves'; saves: Save[]; compact: { at: number; keep: number } | null }
  | { kind: 'compact'; at: number; keep: number }
  | { kind: 'checkpoint' }
  | { kind: 'reopen' }
  | { kind: 'crash'; torn: number | null };

const save: fc.Arbitrary<Save> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      back: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 8 }) }),
      n: fc.integer({ min: 0, max: 5 }),
      bump: fc.boolean(),
      hs: fc.boolean(),
      sync: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hardState' as const), sync: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant<Save>({ kind: 'gap' }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('install' as const), ahead: fc.integer({ min: 1, max: 12 }), n: fc.integer({ min: 0, max: 2 }) }) },
);

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('saves' as const),
      saves: fc.array(save, { minLength: 1, maxLength: 4 }),
      compact: fc.option(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), keep: fc.integer({ min: 0, max: 3 }) }), { nil: null, freq: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), keep: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.constant<Cmd>({ kind: 'checkpoint' }) },
  { weight: 1, arbitrary: fc.constant<Cmd>({ kind: 'reopen' }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), torn: fc.option(fc.integer({ min: 1, max: 60 }), { nil: null }) }) },
);

const coverage = { runs: 0, checkpoints: 0, crashes: 0, torn: 0, truncations: 0, compactions: 0, installs: 0 };

function snapshotOf(s: LogStore): string {
  const first = s.firstIndex();
  const last = s.lastIndex();
  const ents = s.entries(first, last + 1, Infinity).map((e) => `${e.index}@${e.term}/${e.type}:${Buffer.from(e.data).toString()}`);
  const snap = s.snapshot();
  return JSON.stringify({
    first,
    last,
    prevTerm: s.term(first - 1),
    hs: s.initialState().hardState,
    conf: s.initialState().confState,
    snap: [snap.meta.index, snap.meta.term, [...snap.data]],
    ents,
  });
}

class Harness {
  readonly dirs: string[] = [];
  model = new MemoryLogStore('immediate');
  store!: LmdbLogStore;
  path = '';
  term = 1;
  serial = 0;
  checkpointBytes: number;
  chunk: number;

  constructor(checkpointBytes: number, chunk: number) {
    this.checkpointBytes = checkpointBytes;
    this.chunk = chunk;
  }

  open(path: string): void {
    this.path = path;
    this.store = LmdbLogStore.open({ path, checkpointBytes: this.checkpointBytes, checkpointRecords: 7, checkpointChunkEntries: this.chunk });
  }

  newDir(): string {
    const d = mkdtempSync(join(tmpdir(), 'raft-wal-prop-'));
    this.dirs.push(d);
    return d;
  }

  entries(from: number, n: number): Entry[] {
    return Array.from({ length: n }, (_, i) => ({
      index: from + i,
      term: this.term,
      type: (this.serial + i) % 7 === 3 ? ('confChange' as const) : ('normal' as const),
      data: new Uint8Array(Buffer.from(`v${this.serial++}`.padEnd(1 + (this.serial % 23), '.'))),
    }));
  }

  hardState(): HardState {
    const last = this.model.lastIndex();
    return { term: this.term, vote: this.serial % 3, commit: Math.max(0, last - (this.serial % 4)) };
  }

  batch(s: Save): PersistBatch {
    const last = this.model.lastIndex();
    switch (s.kind) {
      case 'append': {
        if (s.bump) this.term++;
        if (s.back > 0) coverage.truncations++;
        const from = Math.max(1, last + 1 - s.back);
        return { entries: this.entries(from, s.n), ...(s.hs ? { hardState: this.hardState() } : {}), sync: s.sync };
      }
      case 'hardState':
        return { entries: [], hardState: this.hardState(), sync: s.sync };
      case 'gap':
        return { entries: this.entries(last + 2, 1) };
      case 'install': {
        coverage.installs++;
        const snapIndex = this.model.snapshot().meta.index + s.ahead;
        this.term++;
        const snapshot = { meta: { index: snapIndex, term: this.term, confState: { voters: [1, 2, 3], learners: [s.ahead] } }, data: new Uint8Array([s.ahead]) };
        return { snapshot, entries: this.entries(snapIndex + 1, s.n), hardState: { term: this.term, vote: 0, commit: snapIndex } };
      }
    }
  }

  /** A compaction point in the model's log as it is now (null if there is none). */
  compaction(at: number): { index: number; conf: { voters: number[]; learners: number[] }; data: Uint8Array } | null {
    const snapIndex = this.model.snapshot().meta.index;
    const last = this.model.lastIndex();
    if (last <= snapIndex) return null;
    coverage.compactions++;
    const index = snapIndex + 1 + Math.floor(at * (last - snapIndex - 1));
    return { index, conf: { voters: [1], learners: [] }, data: new Uint8Array([index % 256]) };
  }

  check(where: string): void {
    const want = snapshotOf(this.model);
    const got = snapshotOf(this.store);
    if (want !== got) throw new Error(`${where}: store differs from the model\n  model ${want}\n  store ${got}`);
  }

  async run(c: Cmd): Promise<void> {
    switch (c.kind) {
      case 'saves': {
        // Issued together; they are serialised in call order, so the model applies them in order.
        // The model applies a save when it is called, so each batch is built on the state the one before left.
        const batches: PersistBatch[] = [];
        const expected: Promise<string>[] = [];
        for (const s of c.saves) {
          const b = this.batch(s);
          batches.push(b);
          expected.push(this.model.save(b).then(() => 'ok', (e: Error) => e.message));
        }
        const compaction = c.compact === null ? null : this.compaction(c.compact.at);
        const compacted = compaction === null ? Promise.resolve() : this.store.createSnapshot(compaction.index, compaction.conf, compaction.data, c.compact!.keep);
        const pending = batches.map((b) => this.store.save(b).then(() => 'ok', (e: Error) => e.message));
        if (compaction !== null) await this.model.createSnapshot(compaction.index, compaction.conf, compaction.data, c.compact!.keep);
        const [got, want] = [await Promise.all(pending), await Promise.all(expected)];
        await compacted;
        for (let i = 0; i < got.length; i++) {
          if ((got[i] === 'ok') !== (want[i] === 'ok')) throw new Error(`save ${i}: store ${got[i]}, model ${want[i]}`);
        }
        break;
      }
      case 'compact': {
        const compaction = this.compaction(c.at);
        if (compaction === null) break;
        const { index, conf, data } = compaction;
        await Promise.all([this.store.createSnapshot(index, conf, data, c.keep), this.model.createSnapshot(index, conf, data, c.keep)]);
        break;
      }
      case 'checkpoint':
        await this.store.checkpoint();
        break;
      case 'reopen':
        coverage.checkpoints += this.store.checkpointCount;
        await this.store.close();
        this.open(this.path);
        break;
      case 'crash': {
        coverage.crashes++;
        await this.store.settled();
        coverage.checkpoints += this.store.checkpointCount;
        const copy = this.newDir();
        copyFileSync(join(this.path, 'data.mdb'), join(copy, 'data.mdb'));
        mkdirSync(join(copy, 'wal'));
        const segs = readdirSync(join(this.path, 'wal')).sort();
        for (const name of segs) copyFileSync(join(this.path, 'wal', name), join(copy, 'wal', name));
        if (c.torn !== null) {
          // An append the crash cut short: a prefix of the next record.
          coverage.torn++;
          const rec = encodeWalRecord(1e9, this.hardState(), this.entries(1, 2));
          appendFileSync(join(copy, 'wal', segs[segs.length - 1]!), rec.subarray(0, Math.min(rec.length - 1, c.torn)));
        }
        await this.store.close();
        this.open(copy);
        break;
      }
    }
  }

  async dispose(): Promise<void> {
    coverage.checkpoints += this.store.checkpointCount;
    await this.store.close().catch(() => undefined);
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

describe('LmdbLogStore behind its WAL behaves like the in-memory log store', () => {
  it(
    'through saves, truncations, compactions, snapshots, checkpoints, restarts and crashes',
    async () => {
      await checkProperty(
        import.meta.url,
        fc.asyncProperty(
          fc.integer({ min: 60, max: 600 }),
          fc.integer({ min: 1, max: 6 }),
          fc.array(cmd, { minLength: 1, maxLength: 40 }),
          async (checkpointBytes, chunk, cmds) => {
            coverage.runs++;
            const h = new Harness(checkpointBytes, chunk);
            try {
              h.open(h.newDir());
              for (let i = 0; i < cmds.length; i++) {
                await h.run(cmds[i]!);
                h.check(`after command ${i} (${cmds[i]!.kind})`);
              }
              await h.store.settled();
              h.check('after the last checkpoint settled');
            } finally {
              await h.dispose();
            }
          },
        ),
        300,
      );
      console.log('raft-log WAL property coverage', coverage);
    },
    propsTimeoutMs,
  );
});
