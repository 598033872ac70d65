import type { ActorRef } from '../../runtime/actor-ref.js';
import { LookupFailedError } from './errors.js';
import type { GatewayMessage, LookupReply, PeerRef, RouteReply } from './messages.js';
import { ringId } from './ring-id.js';

/**
 * The Resource Finder as a call: who owns `keyBytes`, asked of any gateway.
 * Resolves with the owner gateway and the number of routing hops; rejects
 * with LookupFailedError (or the ask's timeout error).
 */
export async function lookupKey(
  gateway: ActorRef<GatewayMessage>,
  keyBytes: Uint8Array,
  timeoutMs: number,
): Promise<{ owner: PeerRef; hops: number }> {
  const keyId = ringId(keyBytes);
  const reply = await gateway.ask<LookupReply>({ kind: 'lookup', keyId }, { timeoutMs });
  if (reply.kind !== 'lookup-ok') throw new LookupFailedError(keyId, reply.reason);
  return { owner: reply.owner, hops: reply.hops };
}

/** Routes `payload` for `keyBytes` to the owner gateway's group through `gateway`; resolves with the RouteReply. */
export function routeKey(gateway: ActorRef<GatewayMessage>, keyBytes: Uint8Array, payload: unknown, timeoutMs: number): Promise<RouteReply> {
  return gateway.ask<RouteReply>({ kind: 'route', keyBytes, payload }, { timeoutMs });
}
