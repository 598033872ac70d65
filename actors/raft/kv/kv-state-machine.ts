import { CorruptionError } from '../../../runtime/errors.js';
import { MAX_CLIENT_SESSIONS } from '../defaults.js';
import type { StateMachine } from '../state-machine.js';
import type { Entry } from '../types.js';
import { decodeRequest, decodeValue, encodeValue, type KvCommand, type KvRequest, type KvResult } from './commands.js';
import { SessionTable } from './sessions.js';

/** What applying one entry produced, with the ids the member uses to find the waiting client. */
export interface KvApplied {
  readonly index: number;
  readonly clientId: number;
  readonly requestId: number;
  readonly result: KvResult;
}

interface KvImage {
  readonly data: [string, Uint8Array][];
  readonly sessions: ReturnType<SessionTable['toJSON']>;
}

/**
 * An in-memory sorted-map KV with client sessions: the state machine until
 * the LSM engine plugs in. Deterministic: the same entries give the same
 * snapshot bytes on every member.
 */
export class KvStateMachine implements StateMachine<KvApplied> {
  private data = new Map<string, Uint8Array>();
  private sessions: SessionTable;

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
    const result = this.execute(req.command);
    this.sessions.record(req.clientId, req.requestId, result);
    return { ...base, result };
  }

  private execute(cmd: KvCommand): KvResult {
    switch (cmd.op) {
      case 'put':
        this.data.set(cmd.key, cmd.value);
        return { ok: true, op: 'put' };
      case 'delete':
        this.data.delete(cmd.key);
        return { ok: true, op: 'delete' };
      case 'get':
        return { ok: true, op: 'get', value: this.get(cmd.key) };
      case 'range':
        return { ok: true, op: 'range', entries: this.range(cmd.start, cmd.end, cmd.limit) };
      default:
        return { ok: false, error: 'BAD_COMMAND', message: `unknown op ${(cmd as { op: string }).op}` };
    }
  }

  /** Local read (after ReadIndex, or a serializable read). */
  get(key: string): Uint8Array | null {
    return this.data.get(key) ?? null;
  }

  /** Keys in [start, end) in byte order, at most `limit`. */
  range(start: string, end: string, limit = Infinity): [string, Uint8Array][] {
    const out: [string, Uint8Array][] = [];
    for (const k of [...this.data.keys()].sort(compareKeys)) {
      if (compareKeys(k, start) < 0 || compareKeys(k, end) >= 0) continue;
      out.push([k, this.data.get(k)!]);
      if (out.length >= limit) break;
    }
    return out;
  }

  size(): number {
    return this.data.size;
  }

  snapshot(): Uint8Array {
    const keys = [...this.data.keys()].sort(compareKeys);
    const image: KvImage = { data: keys.map((k) => [k, this.data.get(k)!]), sessions: this.sessions.toJSON() };
    return encodeValue(image);
  }

  restore(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) {
      this.data = new Map();
      this.sessions = new SessionTable(this.maxSessions);
      return;
    }
    const image = decodeValue<KvImage>(bytes);
    this.data = new Map(image.data.map(([k, v]) => [k, new Uint8Array(v)]));
    this.sessions = SessionTable.fromJSON(image.sessions, this.maxSessions);
  }
}

/** Keys compare as UTF-8 bytes, the order the LSM engine will use. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
