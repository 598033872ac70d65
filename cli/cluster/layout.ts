import type { ClusterLayout } from '../../actors/edge/contract.js';
import { UsageError } from '../errors.js';

export type Placement = 'thread' | 'process';

/** What runs where: one entry per edge node and per gateway. `placement` unset: the cluster's mode. */
export type HostPlan = (
  | { role: 'edge'; name: string; group: string; apiPort: number; internalPort: number }
  | { role: 'gateway'; name: string; group: string; internalPort: number }
) & { placement?: Placement };

export interface ClusterPlan {
  groups: number;
  nodesPerGroup: number;
  layout: ClusterLayout;
  /** Interface the gRPC endpoints and internal ports bind to. */
  host: string;
  basePort: number;
  internalBasePort: number;
  /** Edge nodes first (group by group), then the gateways. */
  hosts: HostPlan[];
}

export interface PlanOptions {
  groups: number;
  nodesPerGroup: number;
  host: string;
  basePort: number;
  internalBasePort: number;
  /** A layout of its own (a topology's); `groups` and `nodesPerGroup` then only describe it. */
  layout?: ClusterLayout;
  /** Placement per host name (a topology's); hosts not named follow the cluster's mode. */
  placements?: Record<string, Placement>;
}

const maxPort = 65_535;

function checkCount(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what} must be a whole number of at least 1, got ${n}`);
}

/** Names follow the contract's examples: groups g1.., members g1-n1.., gateways g1-gw. */
export function layoutOf(groups: number, nodesPerGroup: number): ClusterLayout {
  checkCount('the group count', groups);
  checkCount('the number of nodes per group', nodesPerGroup);
  return {
    groups: Array.from({ length: groups }, (_, g) => ({
      id: `g${g + 1}`,
      members: Array.from({ length: nodesPerGroup }, (_, n) => `g${g + 1}-n${n + 1}`),
      gateway: `g${g + 1}-gw`,
    })),
  };
}

/** Ports: edge node i (0-based across groups) serves gRPC on basePort + i; host j (nodes, then gateways) listens internally on internalBasePort + j. */
export function planCluster(options: PlanOptions): ClusterPlan {
  const layout = options.layout ?? layoutOf(options.groups, options.nodesPerGroup);
  const placed = (name: string) => (options.placements?.[name] !== undefined ? { placement: options.placements[name] } : {});
  const hosts: HostPlan[] = [];
  let i = 0;
  for (const group of layout.groups) {
    for (const name of group.members) {
      hosts.push({ role: 'edge', name, group: group.id, apiPort: options.basePort + i, internalPort: options.internalBasePort + i, ...placed(name) });
      i++;
    }
  }
  const nodes = i;
  for (const group of layout.groups) {
    hosts.push({ role: 'gateway', name: group.gateway, group: group.id, internalPort: options.internalBasePort + i, ...placed(group.gateway) });
    i++;
  }
  const apiRange: [number, number] = [options.basePort, options.basePort + nodes - 1];
  const internalRange: [number, number] = [options.internalBasePort, options.internalBasePort + hosts.length - 1];
  for (const [what, [lo, hi]] of [
    ['--base-port', apiRange],
    ['--internal-port', internalRange],
  ] as const) {
    if (!Number.isInteger(lo) || lo < 1 || hi > maxPort) throw new UsageError(`${what} range ${lo}..${hi} does not fit in 1..${maxPort}`);
  }
  if (apiRange[0] <= internalRange[1] && internalRange[0] <= apiRange[1]) {
    throw new UsageError(
      `gRPC ports ${apiRange[0]}..${apiRange[1]} overlap internal ports ${internalRange[0]}..${internalRange[1]}; move one with --base-port or --internal-port`,
    );
  }
  return { ...options, layout, hosts };
}

/** The gRPC endpoint of an edge node. */
export function endpointOf(plan: Pick<ClusterPlan, 'host'>, edge: Extract<HostPlan, { role: 'edge' }>): string {
  return `${plan.host}:${edge.apiPort}`;
}

export function endpointsOf(plan: Pick<ClusterPlan, 'host' | 'hosts'>): string[] {
  return plan.hosts.flatMap((h) => (h.role === 'edge' ? [endpointOf(plan, h)] : []));
}

/** The shape of a layout for people: `3 groups × 3 edge nodes + 3 gateways`, or `3 groups (1+1+2 edge nodes) + 3 gateways`. */
export function describeClusterLayout(layout: ClusterLayout): string {
  const sizes = layout.groups.map((g) => g.members.length);
  if (sizes.every((n) => n === sizes[0])) return describeLayout(sizes.length, sizes[0]!);
  const g = layout.groups.length;
  return `${g} group${g === 1 ? '' : 's'} (${sizes.join('+')} edge nodes) + ${g} gateway${g === 1 ? '' : 's'}`;
}

export function describeLayout(groups: number, nodesPerGroup: number): string {
  return `${groups} group${groups === 1 ? '' : 's'} × ${nodesPerGroup} edge node${nodesPerGroup === 1 ? '' : 's'} + ${groups} gateway${groups === 1 ? '' : 's'}`;
}
