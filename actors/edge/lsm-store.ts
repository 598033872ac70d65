import { compareKeys, type KvStore } from '../raft/kv/kv-store.js';
import type { LsmEngine } from '../../storage/engine.js';
import type { Keyspace } from '../../storage/keyspace.js';
import { GLOBAL_PREFIX, LOCAL_PREFIX } from './keyspace.js';

const PREFIX_LENGTH = 2;
/** [start, end) of each keyspace in stored-key (string) order: "G:..." sorts before "L:...". */
const SPACES: readonly { keyspace: Keyspace; prefix: string; start: string; end: string }[] = [
  { keyspace: 'global', prefix: GLOBAL_PREFIX, start: GLOBAL_PREFIX, end: 'G;' },
  { keyspace: 'local', prefix: LOCAL_PREFIX, start: LOCAL_PREFIX, end: 'L;' },
];

/**
 * An edge group's keys in the LSM engine: stored key `L:`+k lives in the
 * engine's `local` keyspace under the bytes k, `G:`+ringhex+k in `global`
 * under the bytes ringhex+k (keys are latin1 strings, one char per byte, so
 * the engine's byte order is the state machine's key order). Keys of any
 * other shape are refused (`accepts`); the edge node never makes them.
 *
 * Writes go straight into the memtable (`LsmEngine.applyNow`) with the Raft
 * index of the entry: the Raft log is the WAL (the engine runs without one).
 * `whenWritable` is the engine's write stall: the member awaits it before
 * applying committed entries, so a stall slows Raft apply.
 *
 * The engine is not the source of truth across restarts: the state machine
 * clears it and rebuilds it from the Raft snapshot and log (see
 * `KvStateMachine.restore`); a new store over an engine clears it too, so a
 * fresh state machine is empty, as the member expects.
 */
export class LsmKvStore implements KvStore {
  constructor(readonly engine: LsmEngine) {
    this.clear();
  }

  accepts(key: string): boolean {
    return spaceOf(key) !== undefined && isLatin1(key);
  }

  get(key: string): Uint8Array | null {
    const space = spaceOf(key);
    if (space === undefined || !isLatin1(key)) return null;
    const v = this.engine.get(space.keyspace, bytesOf(key));
    return v === undefined ? null : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }

  set(key: string, value: Uint8Array, index: number): void {
    this.engine.applyNow([{ keyspace: this.required(key).keyspace, key: bytesOf(key), value }], index);
  }

  delete(key: string, index: number): void {
    if (!this.accepts(key)) return;
    this.engine.applyNow([{ keyspace: spaceOf(key)!.keyspace, key: bytesOf(key) }], index);
  }

  range(start: string, end: string, limit = Infinity): [string, Uint8Array][] {
    const out: [string, Uint8Array][] = [];
    for (const space of SPACES) {
      if (out.length >= limit) break;
      const lo = compareKeys(start, space.start) > 0 ? start : space.start;
      const hi = compareKeys(end, space.end) < 0 ? end : space.end;
      if (compareKeys(lo, hi) >= 0) continue;
      const loBytes = lowerBoundBytes(lo.slice(PREFIX_LENGTH));
      if (loBytes === null) continue;
      const hiBytes = hi === space.end ? undefined : lowerBoundBytes(hi.slice(PREFIX_LENGTH));
      const opts = {
        start: loBytes,
        ...(hiBytes !== undefined && hiBytes !== null ? { end: hiBytes } : {}),
        ...(limit !== Infinity ? { limit: limit - out.length } : {}),
      };
      for (const e of this.engine.iterate(space.keyspace, opts)) {
        out.push([space.prefix + e.key.toString('latin1'), new Uint8Array(e.value.buffer, e.value.byteOffset, e.value.byteLength)]);
      }
    }
    return out;
  }

  entries(): [string, Uint8Array][] {
    return this.range(SPACES[0]!.start, SPACES[SPACES.length - 1]!.end);
  }

  clear(): void {
    const ops = [];
    for (const space of SPACES) for (const e of this.engine.iterate(space.keyspace)) ops.push({ keyspace: space.keyspace, key: e.key });
    if (ops.length > 0) this.engine.applyNow(ops, 0);
  }

  whenWritable(bytes: number): Promise<void> | null {
    return this.engine.whenWritable(bytes);
  }

  /** Live keys in each keyspace (a full scan; for status and tests). */
  counts(): { local: number; global: number } {
    let local = 0;
    let global = 0;
    for (const _ of this.engine.iterate('local')) local++;
    for (const _ of this.engine.iterate('global')) global++;
    return { local, global };
  }

  private required(key: string): (typeof SPACES)[number] {
    const space = spaceOf(key);
    // The state machine checks `accepts` before it writes; this is a bug guard.
    if (space === undefined || !isLatin1(key)) throw new RangeError(`LsmKvStore cannot hold the key ${JSON.stringify(key.slice(0, 64))}`);
    return space;
  }
}

function spaceOf(key: string): (typeof SPACES)[number] | undefined {
  if (key.startsWith(GLOBAL_PREFIX)) return SPACES[0];
  if (key.startsWith(LOCAL_PREFIX)) return SPACES[1];
  return undefined;
}

function isLatin1(key: string): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0xff) return false;
  return true;
}

function bytesOf(stored: string): Buffer {
  return Buffer.from(stored.slice(PREFIX_LENGTH), 'latin1');
}

/**
 * The smallest byte string b such that, for every latin1 key k, k >= s
 * (as strings) exactly when bytes(k) >= b; null when no latin1 key is >= s.
 * For a latin1 s that is its bytes. A char past U+00FF at position i sorts
 * after every latin1 char, so every key with the prefix s[0..i) is below s:
 * the bound is the first byte string after all of them.
 */
function lowerBoundBytes(s: string): Buffer | null {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) <= 0xff) i++;
  if (i === s.length) return Buffer.from(s, 'latin1');
  const prefix = [...Buffer.from(s.slice(0, i), 'latin1')];
  while (prefix.length > 0 && prefix[prefix.length - 1] === 0xff) prefix.pop();
  if (prefix.length === 0) return null;
  prefix[prefix.length - 1] = prefix[prefix.length - 1]! + 1;
  return Buffer.from(prefix);
}
