import { Packr } from 'msgpackr';
import { CorruptionError } from '../../../runtime/errors.js';

/**
 * Client commands replicated through Raft, and their results. Each request
 * names a client session and a request id, so a retried write is applied
 * once (Raft dissertation §6.3).
 */
export type KvCommand =
  | { readonly op: 'register' }
  | { readonly op: 'put'; readonly key: string; readonly value: Uint8Array }
  | { readonly op: 'delete'; readonly key: string }
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'range'; readonly start: string; readonly end: string; readonly limit?: number }
  /** Deletes every key in [start, end); answers the number deleted. */
  | { readonly op: 'deleteRange'; readonly start: string; readonly end: string }
  /**
   * A command of a state machine built on this one (e.g. the edge node's
   * fences and range moves); the plain KV machine answers BAD_COMMAND.
   */
  | { readonly op: 'custom'; readonly name: string; readonly args: unknown };

/**
 * A session: the number `register` returned, or a string chosen by the
 * client (the API's WriteId.clientId), whose session is created on first use
 * and so survives a retry through any member.
 */
export type ClientKey = number | string;

export interface KvRequest {
  /** 0 for `register`; afterwards the id `register` returned; or a client-chosen string. */
  readonly clientId: ClientKey;
  /**
   * Per client, increasing. For `register`, a random nonce the proposer uses
   * to find its answer.
   */
  readonly requestId: number;
  /** The client has received answers for every request id below this; their cached results can go. */
  readonly firstUnacked: number;
  readonly command: KvCommand;
}

/** FENCED: the key's range is not served here (it is moving to, or moved to, another group); not applied, retry. */
export type KvError = 'SESSION_EXPIRED' | 'STALE_REQUEST' | 'BAD_COMMAND' | 'FENCED';

export type KvResult =
  | { readonly ok: true; readonly op: 'register'; readonly clientId: number }
  | { readonly ok: true; readonly op: 'put' | 'delete' }
  | { readonly ok: true; readonly op: 'get'; readonly value: Uint8Array | null }
  | { readonly ok: true; readonly op: 'range'; readonly entries: readonly (readonly [string, Uint8Array])[] }
  | { readonly ok: true; readonly op: 'noop' }
  | { readonly ok: true; readonly op: 'deleteRange'; readonly deleted: number }
  | { readonly ok: true; readonly op: 'custom'; readonly value: unknown }
  | { readonly ok: false; readonly error: KvError; readonly message: string };

// Plain maps, no shared records: every entry must decode alone, on any member, forever.
const packr = new Packr({ useRecords: false });

export function encodeRequest(r: KvRequest): Uint8Array {
  return packr.pack(r);
}

export function decodeRequest(data: Uint8Array): KvRequest {
  let v: unknown;
  try {
    v = packr.unpack(data);
  } catch (e) {
    throw new CorruptionError(`malformed kv request (${data.byteLength} bytes): ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null) throw new CorruptionError('kv request is not a map');
  const r = v as Partial<KvRequest>;
  if ((typeof r.clientId !== 'number' && typeof r.clientId !== 'string') || typeof r.requestId !== 'number' || typeof r.command !== 'object') {
    throw new CorruptionError('kv request lacks clientId, requestId or command');
  }
  let command = r.command as KvCommand;
  if (command.op === 'put') {
    if (!(command.value instanceof Uint8Array)) throw new CorruptionError('kv put without a binary value');
    // msgpackr hands out Buffers that may share memory; keep plain, owned bytes.
    command = { op: 'put', key: String(command.key), value: new Uint8Array(command.value) };
  }
  return { clientId: r.clientId, requestId: r.requestId, firstUnacked: r.firstUnacked ?? 0, command };
}

export function encodeValue(v: unknown): Uint8Array {
  return new Uint8Array(packr.pack(v));
}

export function decodeValue<T>(data: Uint8Array): T {
  return packr.unpack(data) as T;
}
