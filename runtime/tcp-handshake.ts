import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The TCP handshake, both ends at once (neither waits for the other to speak):
 *   1. each sends `hello` with a fresh random nonce;
 *   2. on the peer's hello, each sends `proof`: its system name and
 *      HMAC-SHA256(secret, peerNonce || its own name);
 *   3. each checks the peer's proof against its own nonce and the claimed name.
 * Only a peer that holds the cluster secret can answer a nonce it has never
 * seen, and the name is bound into the MAC so a proof cannot be replayed under
 * another name. A peer claiming our own name is refused, which stops a
 * reflection (sending our nonce back to us and replaying our own proof).
 * Routes are installed, and data frames accepted, only after the peer's proof
 * checks out.
 */

export const handshakeVersion = 1;
export const nonceBytes = 32;

export interface Hello {
  t: 'hello';
  v: number;
  nonce: Uint8Array;
}

export interface Proof {
  t: 'proof';
  name: string;
  mac: Uint8Array;
}

export type HandshakeMessage = Hello | Proof;

export function proofFor(secret: Uint8Array, peerNonce: Uint8Array, ownName: string): Uint8Array {
  return createHmac('sha256', secret).update(peerNonce).update(ownName, 'utf8').digest();
}

/** Constant-time check of a peer's proof against the nonce we sent it. */
export function verifyProof(secret: Uint8Array, ourNonce: Uint8Array, peerName: string, mac: Uint8Array): boolean {
  const expected = proofFor(secret, ourNonce, peerName);
  return mac.length === expected.length && timingSafeEqual(mac, expected);
}

/** Narrows an untrusted decoded value to a handshake message, or explains why not. */
export function parseHandshake(value: unknown): HandshakeMessage | string {
  if (typeof value !== 'object' || value === null) return 'handshake frame is not a map';
  const v = value as Record<string, unknown>;
  if (v.t === 'hello') {
    if (v.v !== handshakeVersion) return `unsupported handshake version ${String(v.v)} (this node speaks ${handshakeVersion})`;
    if (!(v.nonce instanceof Uint8Array) || v.nonce.length !== nonceBytes) return `hello needs a ${nonceBytes}-byte nonce`;
    return { t: 'hello', v: handshakeVersion, nonce: v.nonce };
  }
  if (v.t === 'proof') {
    if (typeof v.name !== 'string' || !(v.mac instanceof Uint8Array)) return 'proof needs a name and a mac';
    return { t: 'proof', name: v.name, mac: v.mac };
  }
  return 'unknown handshake message';
}
