import type { ClusterLayout, GroupLayout } from './contract.js';
import { EdgeConfigError } from './errors.js';

/** The group `node` is a member of. */
export function groupOfNode(layout: ClusterLayout, node: string): GroupLayout {
  const g = layout.groups.find((x) => x.members.includes(node));
  if (g === undefined) throw new EdgeConfigError(`node ${node} is a member of no group in the layout`);
  return g;
}

/** The group whose gateway is `gateway` (an actor-system name). */
export function groupOfGateway(layout: ClusterLayout, gateway: string): GroupLayout {
  const g = layout.groups.find((x) => x.gateway === gateway);
  if (g === undefined) throw new EdgeConfigError(`gateway ${gateway} fronts no group in the layout`);
  return g;
}

/** Checks what every boot relies on: unique names, non-empty groups. */
export function checkLayout(layout: ClusterLayout): void {
  const seen = new Set<string>();
  const once = (name: string, what: string): void => {
    if (seen.has(name)) throw new EdgeConfigError(`${what} ${name} appears twice in the layout`);
    seen.add(name);
  };
  if (layout.groups.length === 0) throw new EdgeConfigError('the layout has no groups');
  for (const g of layout.groups) {
    if (g.members.length === 0) throw new EdgeConfigError(`group ${g.id} has no members`);
    once(`group:${g.id}`, 'group id');
    once(g.gateway, 'system name');
    for (const m of g.members) once(m, 'system name');
  }
}
