import { UnavailableError } from '../../api/errors.js';
import type { Random } from '../../runtime/random.js';
import { EdgeKVError } from '../../runtime/errors.js';
import type { ClientKey, KvCommand, KvResult } from '../raft/kv/commands.js';
import type { ReadConsistency } from '../raft/member-messages.js';
import type { EdgeCustomCommand, EdgeQuery } from './commands.js';
import { RangeMovingError, StaleRequestError } from './errors.js';
import type { GroupClient, SendOptions } from './group-client.js';

/**
 * A session of this process's own writes (writes without an API WriteId, the
 * migration's commands): a string client id unique to this incarnation, and
 * increasing request ids.
 */
export class OwnSession {
  private nextId = 1;
  readonly clientId: string;

  constructor(owner: string, random: Random) {
    const nonce = Array.from(random.bytes(6), (b) => b.toString(16).padStart(2, '0')).join('');
    this.clientId = `${owner}/${nonce}`;
  }

  next(): number {
    return this.nextId++;
  }
}

/** The error a client sees for a refused result. FENCED: the range is moving; retry (UNAVAILABLE). */
export function resultError(result: Extract<KvResult, { ok: false }>): EdgeKVError {
  switch (result.error) {
    case 'FENCED':
      return new RangeMovingError(result.message);
    case 'STALE_REQUEST':
      return new StaleRequestError(result.message);
    case 'SESSION_EXPIRED':
      return new UnavailableError(`session expired: ${result.message}`);
    default:
      return new EdgeKVError('INTERNAL', `the group refused the command: ${result.error}: ${result.message}`);
  }
}

/** Proposes a write with the given session; resolves with the applied result (which may be a refusal). */
export function propose(client: GroupClient, clientId: ClientKey, requestId: number, command: KvCommand, opts: SendOptions): Promise<KvResult> {
  return client.propose({ clientId, requestId, firstUnacked: 0, command }, opts);
}

/** Runs an edge command; throws unless it applied. */
export async function runCommand(client: GroupClient, session: OwnSession, command: EdgeCustomCommand, opts: SendOptions): Promise<unknown> {
  const result = await propose(client, session.clientId, session.next(), { op: 'custom', name: command.name, args: command.args }, opts);
  if (!result.ok) throw resultError(result);
  if (result.op !== 'custom') throw new EdgeKVError('INTERNAL', `unexpected answer to ${command.name}: ${result.op}`);
  return result.value;
}

/** Asks an edge query; throws unless answered. */
export async function runQuery<T>(client: GroupClient, query: EdgeQuery, consistency: ReadConsistency, opts: SendOptions): Promise<T> {
  const result = await client.read({ kind: 'query', query, consistency }, opts);
  if (!result.ok) throw resultError(result);
  if (result.op !== 'custom') throw new EdgeKVError('INTERNAL', `unexpected answer to query ${query.name}: ${result.op}`);
  return result.value as T;
}
