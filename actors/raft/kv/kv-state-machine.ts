import { CorruptionError } from '../../../runtime/errors.js';
import { MAX_CLIENT_SESSIONS } from '../defaults.js';
import type { StateMachine } from '../state-machine.js';
import type { Entry } from '../types.js';
import { decodeRequest, decodeValue, encodeValue, type ClientKey, type KvCommand, type KvRequest, type KvResult } from './commands.js';
import { compareKeys, MapKvStore, type KvStore } from './kv-store.js';
import { SessionTable, type SessionRow } from './sessions.js';

export { compareKeys } from './kv-store.js';

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
  /**
   * null when entries may be applied now; else resolves when they may (the
   * store's write stall, e.g. the LSM engine's). The member awaits it before
   * applying a batch of `bytes` bytes of committed entries.
   */
  whenWritable?(bytes: number): Promise<void> | null;
}

/**
 * A sorted KV with client sessions over a `KvStore`: the in-memory map by
 * default, the LSM engine on an edge node (`actors/edge/lsm-store.ts`).
 * Deterministic: the same entries give the same snapshot bytes on every
 * member, whatever the store (the snapshot is the store's entries in key
 * order, the sessions and a subclass's extra state).
 */
export class KvStateMachine implements StateMachine<KvApplied>, ReplicatedKv {
  protected sessions: SessionTable;
  /** The index of the entry being applied (stores may record it with each write). */
  private applying = 0;

  constructor(
    readonly maxSessions = MAX_CLIENT_SESSIONS,
    protected readonly store: KvStore = new MapKvStore(),
  ) {
    this.sessions = new SessionTable(maxSessions);
  }

  apply(entry: Entry): KvApplied {
    this.applying = entry.index;
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

  whenWritable(bytes: number): Promise<void> | null {
    return this.store.whenWritable?.(bytes) ?? null;
  }

  protected execute(cmd: KvCommand, index: number): KvResult {
    switch (cmd.op) {
      case 'put':
        if (!this.store.accepts(cmd.key)) return unsupportedKey(cmd.key);
        this.setKey(cmd.key, cmd.value);
        return { ok: true, op: 'put' };
      case 'delete':
        if (!this.store.accepts(cmd.key)) return unsupportedKey(cmd.key);
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
    this.store.set(key, value, this.applying);
  }

  protected deleteKey(key: string): void {
    this.store.delete(key, this.applying);
  }

  /** Subclass state carried in snapshots (undefined: none). */
  protected extraImage(): unknown {
    return undefined;
  }

  protected restoreExtra(_extra: unknown): void {}

  /** Local read (after ReadIndex, or a serializable read). */
  get(key: string): Uint8Array | null {
    return this.store.get(key);
  }

  /** Keys in [start, end) in byte order, at most `limit`. */
  range(start: string, end: string, limit = Infinity): [string, Uint8Array][] {
    if (compareKeys(start, end) >= 0) return [];
    return this.store.range(start, end, limit);
  }

  size(): number {
    return this.store.entries().length;
  }

  snapshot(): Uint8Array {
    const extra = this.extraImage();
    const image: KvImage = {
      data: this.store.entries(),
      sessions: this.sessions.toJSON(),
      ...(extra !== undefined ? { extra } : {}),
    };
    return encodeValue(image);
  }

  restore(bytes: Uint8Array): void {
    this.store.clear();
    if (bytes.byteLength === 0) {
      this.sessions = new SessionTable(this.maxSessions);
      this.restoreExtra(undefined);
      return;
    }
    const image = decodeValue<KvImage>(bytes);
    // Writes of a restore carry index 0: the snapshot's index is the member's business.
    this.applying = 0;
    for (const [k, v] of image.data) this.store.set(k, new Uint8Array(v), 0);
    this.sessions = SessionTable.fromJSON(image.sessions, this.maxSessions);
    this.restoreExtra(image.extra);
  }
}

function unsupportedKey(key: string): KvResult {
  return { ok: false, error: 'BAD_COMMAND', message: `this store cannot hold the key ${JSON.stringify(key.slice(0, 64))}` };
}
