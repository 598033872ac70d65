// Applies a host's emulated-link table to its router (runtime/link-emulation.ts).
import type { Router } from '../../runtime/router.js';
import { HostFailedError } from '../errors.js';
import type { LinkTable } from './host-protocol.js';

export function applyLinks(router: Router, links: LinkTable): void {
  // Wired once the runtime's link emulator lands (issue 7, in progress).
  if (Object.keys(links).length > 0) throw new HostFailedError(router.system.name, 'link emulation is not wired yet');
}
