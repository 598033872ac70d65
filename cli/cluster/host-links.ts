// Applies a host's emulated-link table to its router (runtime/link-emulation.ts):
// one emulator per host router, shaping what this host sends to each peer.
import { LinkEmulator } from '../../runtime/link-emulation.js';
import type { Router } from '../../runtime/router.js';
import type { LinkTable } from './host-protocol.js';

const emulators = new WeakMap<Router, LinkEmulator>();

/** Replaces the whole table: peers left out become unshaped. */
export function applyLinks(router: Router, links: LinkTable): void {
  let emulator = emulators.get(router);
  if (emulator === undefined) {
    if (Object.keys(links).length === 0) return;
    emulator = new LinkEmulator(router);
    emulators.set(router, emulator);
  }
  const next: Record<string, LinkTable[string] | undefined> = { ...links };
  for (const peer of Object.keys(emulator.shapes())) if (!(peer in next)) next[peer] = undefined;
  emulator.setMany(next);
}
