import { CorruptionError } from '../../../runtime/errors.js';
import { MAX_CLIENT_SESSIONS } from '../defaults.js';
import type { StateMachine } from '../state-machine.js';
import type { Entry } from '../types.js';
import { decodeRequest, decodeValue, encodeValue, type ClientKey, type KvCommand, type KvRequest, type KvResult } from './commands.js';
import { SessionTable, type SessionRow } from './sessions.js';

/** What applying one entry produced, with the ids the member uses to find the waiting client. */
export interface KvApplied {
  readonly index: number;
  readonly clientId: ClientKey;
  readonly requestId: number;
  readonly result: KvResult;
}

interface KvImage {
  readonly data: [string, Uint8Array][];
  readonly sessions: SessionRow[];
  /** State of a subclass (see `extraImage`); absent for the plain KV machine. */
  readonly extra?: unknown;
}

/**
 * What the raft member needs of its state machine: apply entries (answering
 * the waiting client), serve local reads, snapshot and restore. The plain
 * `KvStateMachine` and the edge node's state machine implement it; another
 * store (the LSM engine) can, too.
 */
export interface ReplicatedKv {
  apply(entry: Entry): KvApplied;
  get(key: string): Uint8Array | null;
  range(start: string, end: string, limit?: number): [string, Uint8Array][];
  /** A read-only question of a state machine built on this one, served like `get` (after ReadIndex, or as it is). */
  query(question: unknown): KvResult;
  snapshot(): Uint8Array;
  restore(bytes: Uint8Array): void;
}

/**
 * An in-memory sorted-map KV with client sessions: the state machine until
 * the LSM engine plugs in. Deterministic: the same entries give the same
 * snapshot bytes on every member.
 */
export class KvStateMachine implements StateMachine<KvApplied>, ReplicatedKv {
  protected data = new Map<string, Uint8Array>();
  protected sessions: SessionTable;
  /** Keys in byte order, rebuilt lazily after a key was added or removed. */
  private sorted: string[] | undefined;

  constructor(readonly maxSessions = MAX_CLIENT_SESSIONS) {
    this.sessions = new SessionTable(maxSessions);
  }

  apply(entry: Entry): KvApplied {
    const noop: KvApplied = { index: entry.index, clientId: 0, requestId: 0, result: { ok: true, op: 'noop' } };
    if (entry.type !== 'normal' || entry.data.byteLength === 0) return noop;
    let req: KvRequest;
    try {
      req = decodeRequest(entry.data);
    } catch (e) {
      // A committed entry nobody can parse must not stop the group: answer it as bad and move on.
      const message = e instanceof CorruptionError ? e.message : String(e);
      return { ...noop, result: { ok: false, error: 'BAD_COMMAND', message } };
    }
    const base = { index: entry.index, clientId: req.clientId, requestId: req.requestId };
    if (req.command.op === 'register') {
      // The entry index is unique and the same on every member: a fine client id.
      this.sessions.register(entry.index, entry.index);
      return { ...base, result: { ok: true, op: 'register', clientId: entry.index } };
    }
    const check = this.sessions.check(req.clientId, req.requestId, req.firstUnacked, entry.index);
    if (check.kind === 'duplicate') return { ...base, result: check.result };
    if (check.kind === 'error') return { ...base, result: check.result };
    const result = this.execute(req.command, entry.index);
    // A fenced request was not applied: its retry must be free to apply later (elsewhere or here).
    if (result.ok || result.error !== 'FENCED') this.sessions.record(req.clientId, req.requestId, result);
    return { ...base, result };
  }

  protected execute(cmd: KvCommand, index: number): KvResult {
    switch (cmd.op) {
      case 'put':
        this.setKey(cmd.key, cmd.value);
        return { ok: true, op: 'put' };
      case 'delete':
        this.deleteKey(cmd.key);
        return { ok: true, op: 'delete' };
      case 'get':
        return { ok: true, op: 'get', value: this.get(cmd.key) };
      case 'range':
        return { ok: true, op: 'range', entries: this.range(cmd.start, cmd.end, cmd.limit) };
      case 'deleteRange': {
        const keys = this.range(cmd.start, cmd.end).map(([k]) => k);
        for (const k of keys) this.deleteKey(k);
        return { ok: true, op: 'deleteRange', deleted: keys.length };
      }
      case 'custom':
        return this.executeCustom(cmd.name, cmd.args, index);
      default:
        return { ok: false, error: 'BAD_COMMAND', message: `unknown op ${(cmd as { op: string }).op}` };
    }
  }

  /** Commands of a subclass; the plain KV machine knows none. */
  protected executeCustom(name: string, _args: unknown, _index: number): KvResult {
    return { ok: false, error: 'BAD_COMMAND', message: `unknown custom command ${JSON.stringify(name)}` };
  }

  query(_question: unknown): KvResult {
    return { ok: false, error: 'BAD_COMMAND', message: 'this state machine answers no queries' };
  }

  protected setKey(key: string, value: Uint8Array): void {
    // A new key goes into the sorted cache in place (a memmove, not a re-sort of every key).
    if (!this.data.has(key) && this.sorted !== undefined) this.sorted.splice(lowerBound(this.sorted, key), 0, key);
    this.data.set(key, value);
  }

  protected deleteKey(key: string): void {
    if (!this.data.delete(key) || this.sorted === undefined) return;
    const i = lowerBound(this.sorted, key);
    if (this.sorted[i] === key) this.sorted.splice(i, 1);
    else this.sorted = undefined;
  }

  /** Subclass state carried in snapshots (undefined: none). */
  protected extraImage(): unknown {
    return undefined;
  }

  protected restoreExtra(_extra: unknown): void {}

  /** Local read (after ReadIndex, or a serializable read). */
  get(key: string): Uint8Array | null {
    return this.data.get(key) ?? null;
  }

  /** Keys in [start, end) in byte order, at most `limit`. */
  range(start: string, end: string, limit = Infinity): [string, Uint8Array][] {
    const out: [string, Uint8Array][] = [];
    const keys = this.sortedKeys();
    for (let i = lowerBound(keys, start); i < keys.length && out.length < limit; i++) {
      const k = keys[i]!;
      if (compareKeys(k, end) >= 0) break;
      out.push([k, this.data.get(k)!]);
    }
    return out;
  }

  protected sortedKeys(): string[] {
    this.sorted ??= [...this.data.keys()].sort(compareKeys);
    return this.sorted;
  }

  size(): number {
    return this.data.size;
  }

  snapshot(): Uint8Array {
    const keys = this.sortedKeys();
    const extra = this.extraImage();
    const image: KvImage = {
      data: keys.map((k) => [k, this.data.get(k)!]),
      sessions: this.sessions.toJSON(),
      ...(extra !== undefined ? { extra } : {}),
    };
    return encodeValue(image);
  }

  restore(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) {
      this.data = new Map();
      this.sorted = undefined;
      this.sessions = new SessionTable(this.maxSessions);
      this.restoreExtra(undefined);
      return;
    }
    const image = decodeValue<KvImage>(bytes);
    this.data = new Map(image.data.map(([k, v]) => [k, new Uint8Array(v)]));
    this.sorted = undefined;
    this.sessions = SessionTable.fromJSON(image.sessions, this.maxSessions);
    this.restoreExtra(image.extra);
  }
}

/**
 * Keys compare as UTF-8 bytes, the order the LSM engine will use. UTF-8 byte
 * order is code point order, so compare code points without encoding: UTF-16
 * units agree with it except that surrogates (code points past U+FFFF) must
 * sort after U+E000..U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/** First index in sorted `keys` whose key is >= `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
