// A validated topology in the form the runners use: every host explicit, the
// timeline sorted in milliseconds, the workload as a list of phases, one entry
// per variant, and link properties per directed pair.
import type { ClusterLayout } from '../actors/edge/contract.js';
import type { TierSetting } from './schema.js';
import type { LinkProperties, LinkRule, Placement, Selector, StorageSpec, TimelineEvent, Topology, YcsbName } from './schema.js';
import { parseTime } from './time.js';
import { TopologyError } from './validate.js';

export interface ResolvedHost {
  name: string;
  group: string;
  role: 'edge' | 'gateway';
  placement: Placement;
  tier?: TierSetting;
}

export interface ResolvedEvent {
  atMs: number;
  /** What the progress bar and the records call it: the label, else a description. */
  label: string;
  event: TimelineEvent;
}

export type PhaseKind = 'ycsb' | 'fillrandom' | 'readwhilewriting' | 'mixgraph';

export interface ResolvedPhase {
  /** `ycsb-A@10`, `fillrandom@4`. */
  name: string;
  kind: PhaseKind;
  /** YCSB only. */
  ycsb?: YcsbName;
  clients: number;
  durationMs: number;
}

export interface ResolvedWorkload {
  phases: ResolvedPhase[];
  globalShare: number;
  valueBytes: number;
  /** YCSB: records loaded first; db_bench-style: the key space. */
  records: number;
}

export interface ResolvedVariant {
  name: string;
  links: LinkRule[];
  pilot: boolean;
  /** Tier per edge node name (nodes without one run at real speed). */
  tiers: Record<string, TierSetting>;
}

export interface ResolvedTopology {
  name: string;
  description: string;
  seed: number;
  layout: ClusterLayout;
  /** Edge nodes group by group, then the gateways. */
  hosts: ResolvedHost[];
  /** Gateways whose first timeline event is `gateway-join`: not on the ring at the start. */
  lateGateways: string[];
  timeline: ResolvedEvent[];
  workload: ResolvedWorkload | undefined;
  variants: ResolvedVariant[];
  storage: StorageSpec;
  ports: { base?: number; internal?: number };
}

export const defaultVariant = 'default';

export function describeEvent(e: TimelineEvent): string {
  switch (e.do) {
    case 'crash':
    case 'restart':
      return `${e.do} ${e.node}`;
    case 'partition':
      return `partition ${e.sides.map((s) => s.join('+')).join(' | ')}`;
    case 'heal':
      return 'heal';
    case 'link': {
      const ends = 'between' in e ? `${e.between[0]}<->${e.between[1]}` : `${e.from}->${e.to}`;
      const props = (['latencyMs', 'jitterMs', 'bandwidthMbps', 'loss'] as const).filter((k) => e[k] !== undefined).map((k) => `${k}=${e[k]}`);
      return `link ${ends} ${props.join(' ')}`;
    }
    case 'gateway-join':
    case 'gateway-leave':
      return `${e.do} ${e.gateway}`;
    case 'load':
      return `load ${e.node} ${e.threads} threads`;
  }
}

/** Does `selector` name `endpoint` (a host name, or `client`)? */
export function selects(selector: Selector, endpoint: string, hostsByName: Map<string, ResolvedHost>): boolean {
  if (selector === '*') return true;
  if (endpoint === 'client') return selector === 'client';
  const host = hostsByName.get(endpoint);
  if (host === undefined) return false;
  if (selector === 'edge' || selector === 'gateway') return host.role === selector;
  if (selector.startsWith('group:')) return host.group === selector.slice('group:'.length);
  return selector === endpoint;
}

function ruleMatches(rule: LinkRule, from: string, to: string, hosts: Map<string, ResolvedHost>): boolean {
  if ('between' in rule) {
    const [a, b] = rule.between;
    return (selects(a, from, hosts) && selects(b, to, hosts)) || (selects(b, from, hosts) && selects(a, to, hosts));
  }
  return selects(rule.from, from, hosts) && selects(rule.to, to, hosts);
}

/** The properties of the directed link from → to: every matching rule in order, later fields overriding earlier ones. Undefined: unshaped. */
export function linkBetween(rules: LinkRule[], from: string, to: string, hosts: Map<string, ResolvedHost>): LinkProperties | undefined {
  let out: LinkProperties | undefined;
  for (const rule of rules) {
    if (!ruleMatches(rule, from, to, hosts)) continue;
    out = { ...out };
    if (rule.latencyMs !== undefined) out.latencyMs = rule.latencyMs;
    if (rule.jitterMs !== undefined) out.jitterMs = rule.jitterMs;
    if (rule.bandwidthMbps !== undefined) out.bandwidthMbps = rule.bandwidthMbps;
    if (rule.loss !== undefined) out.loss = rule.loss;
  }
  return out;
}

/** The sides of a partition as sets of endpoint names (hosts, and `client` if a side selects it). */
export function partitionSides(sides: Selector[][], hosts: ResolvedHost[]): Array<Set<string>> {
  const byName = new Map(hosts.map((h) => [h.name, h]));
  return sides.map((side) => {
    const members = new Set<string>();
    for (const endpoint of [...hosts.map((h) => h.name), 'client']) {
      if (side.some((s) => selects(s, endpoint, byName))) members.add(endpoint);
    }
    return members;
  });
}

/** True when a and b are on different sides of one of the partitions. */
export function cutBetween(partitions: Array<Array<Set<string>>>, a: string, b: string): boolean {
  return partitions.some((sides) => {
    const sa = sides.findIndex((s) => s.has(a));
    const sb = sides.findIndex((s) => s.has(b));
    return sa >= 0 && sb >= 0 && sa !== sb;
  });
}

function phasesOf(t: Topology): ResolvedWorkload | undefined {
  const w = t.workload;
  if (w === undefined) return undefined;
  const clients = Array.isArray(w.clients) ? w.clients : [w.clients];
  const durationMs = parseTime(w.duration);
  const phases: ResolvedPhase[] = [];
  if (w.kind === 'ycsb') {
    for (const name of Array.isArray(w.workload) ? w.workload : [w.workload]) {
      for (const c of clients) phases.push({ name: `ycsb-${name}@${c}`, kind: 'ycsb', ycsb: name, clients: c, durationMs });
    }
  } else {
    for (const c of clients) phases.push({ name: `${w.kind}@${c}`, kind: w.kind, clients: c, durationMs });
  }
  return {
    phases,
    globalShare: w.globalShare ?? 0.5,
    valueBytes: w.valueBytes ?? 100,
    records: w.kind === 'ycsb' ? (w.records ?? 10_000) : (w.keys ?? 100_000),
  };
}

/** Expands a validated topology. */
export function resolveTopology(t: Topology): ResolvedTopology {
  const defaultPlacement = t.placement ?? 'process';
  const edges: ResolvedHost[] = [];
  const gateways: ResolvedHost[] = [];
  const layout: ClusterLayout = { groups: [] };
  for (const g of t.groups) {
    const members: string[] = [];
    for (const n of g.nodes) {
      const spec = typeof n === 'string' ? { name: n } : n;
      members.push(spec.name);
      edges.push({ name: spec.name, group: g.id, role: 'edge', placement: spec.placement ?? defaultPlacement, ...(spec.tier !== undefined ? { tier: spec.tier } : {}) });
    }
    const gw = g.gateway === undefined ? { name: `${g.id}-gw` } : typeof g.gateway === 'string' ? { name: g.gateway } : g.gateway;
    gateways.push({ name: gw.name, group: g.id, role: 'gateway', placement: gw.placement ?? defaultPlacement });
    layout.groups.push({ id: g.id, members, gateway: gw.name });
  }
  const hosts = [...edges, ...gateways];
  const timeline = (t.timeline ?? [])
    .map((event, i) => ({ atMs: parseTime(event.at), label: event.label ?? describeEvent(event), event, i }))
    .sort((a, b) => a.atMs - b.atMs || a.i - b.i)
    .map(({ atMs, label, event }) => ({ atMs, label, event }));
  const lateGateways = gateways
    .map((g) => g.name)
    .filter((name) => {
      const first = timeline.find((e) => (e.event.do === 'gateway-join' || e.event.do === 'gateway-leave') && e.event.gateway === name);
      return first?.event.do === 'gateway-join';
    });
  if (lateGateways.length === gateways.length) {
    throw new TopologyError('timeline', 'every gateway joins later: at least one gateway must be on the ring at the start');
  }
  const ownTiers = Object.fromEntries(edges.flatMap((h) => (h.tier !== undefined ? [[h.name, h.tier]] : [])));
  const variantSpecs = t.variants ?? { [defaultVariant]: {} };
  const variants = Object.entries(variantSpecs).map(([name, v]) => ({
    name,
    links: v.links ?? t.links ?? [],
    pilot: v.pilot ?? t.pilot ?? true,
    tiers: { ...ownTiers, ...v.tiers },
  }));
  return {
    name: t.name,
    description: t.description ?? '',
    seed: t.seed ?? 1,
    layout,
    hosts,
    lateGateways,
    timeline,
    workload: phasesOf(t),
    variants,
    storage: t.storage ?? {},
    ports: t.ports ?? {},
  };
}
