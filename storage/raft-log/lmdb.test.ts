import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptionError } from '../../runtime/errors.js';
import type { LogStore } from '../../actors/raft/storage.js';
import { ent, logStoreConformance } from './conformance.js';
import { LmdbLogStore } from './lmdb.js';

const dirs: string[] = [];
const open_: LogStore[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'raft-log-'));
  dirs.push(d);
  return d;
}

afterEach(async () => {
  for (const s of open_.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('LmdbLogStore', () => {
  logStoreConformance(async () => {
    const path = tempDir();
    let store: LogStore = LmdbLogStore.open({ path });
    open_.push(store);
    return {
      get store() {
        return store;
      },
      async reopen() {
        await store.close();
        store = LmdbLogStore.open({ path });
        open_.push(store);
        return store;
      },
    };
  });

  it('detects a corrupted entry', async () => {
    const path = tempDir();
    const store = LmdbLogStore.open({ path });
    await store.save({ entries: [ent(1, 1, 'hello')] });
    await store.close();
    const env = open({ path });
    const db = env.openDB<Buffer, number>({ name: 'entries', encoding: 'binary' });
    const rec = Buffer.from(db.getBinary(1)!);
    rec[rec.length - 1] ^= 0xff;
    await db.put(1, rec);
    await env.close();
    const again = LmdbLogStore.open({ path });
    open_.push(again);
    expect(() => again.entries(1, 2, Infinity)).toThrow(CorruptionError);
  });
});
