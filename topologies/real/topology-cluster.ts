// A topology as `Cluster` options (layout, placement, tiers, links, late
// gateways, ports), and its timeline as actions on a running Cluster. Shared
// by `edgekv run` and `edgekv up --topology`.
import type { EdgePilotConfig } from '../../actors/edge/contract.js';
import { resolveTier } from '../../actors/pilot/tier.js';
import type { Cluster, ClusterOptions } from '../../cli/cluster/cluster.js';
import type { LsmTuning } from '../../storage/defaults.js';
import type { ResolvedTopology, ResolvedVariant } from '../resolve.js';
import type { TierSetting, TimelineEvent } from '../schema.js';
import { LinkState } from './links.js';
import type { TimelineTarget } from './timeline.js';

export function tierLabel(t: TierSetting | undefined): string | undefined {
  if (t === undefined) return undefined;
  return typeof t === 'string' ? t : `${t.cores} cores × ${t.speedFactor}`;
}

function pilotConfig(t: ResolvedTopology, v: ResolvedVariant): EdgePilotConfig {
  const tiers = Object.fromEntries(
    Object.entries(v.tiers).map(([node, tier]) => [node, typeof tier === 'string' ? tier : resolveTier({ name: tierLabel(tier)!, ...tier })]),
  );
  // EdgePilot off keeps the pilot actors with offloading off, so the baseline's merges run through the same emulated tiers.
  return { enabled: true, offload: v.pilot, tiers, ...(t.storage.mergeMBps !== undefined ? { mergeMBps: t.storage.mergeMBps } : {}) };
}

function lsmOf(t: ResolvedTopology): Partial<LsmTuning> {
  const { mergeMBps: _speed, ...lsm } = t.storage;
  return lsm;
}

/** The Cluster options of a topology variant, and the link state its hosts start with. */
export function clusterOptionsOf(
  topology: ResolvedTopology,
  variant: ResolvedVariant,
): { options: Pick<ClusterOptions, 'layout' | 'placements' | 'mode' | 'pilot' | 'lsm' | 'links' | 'lateGateways' | 'basePort' | 'internalBasePort'>; links: LinkState } {
  const links = new LinkState(topology.hosts, variant.links);
  return {
    links,
    options: {
      layout: topology.layout,
      placements: Object.fromEntries(topology.hosts.map((h) => [h.name, h.placement])),
      mode: 'processes',
      pilot: pilotConfig(topology, variant),
      lsm: lsmOf(topology),
      links: links.tables(),
      lateGateways: topology.lateGateways,
      ...(topology.ports.base !== undefined ? { basePort: topology.ports.base } : {}),
      ...(topology.ports.internal !== undefined ? { internalBasePort: topology.ports.internal } : {}),
    },
  };
}

/** Timeline events as actions on a running cluster. */
export function clusterTimelineTarget(cluster: Cluster, links: LinkState): TimelineTarget {
  return {
    apply: async (e: TimelineEvent) => {
      switch (e.do) {
        case 'crash':
          return cluster.crash(e.node);
        case 'restart':
          return cluster.restart(e.node);
        case 'gateway-join':
          return cluster.joinGateway(e.gateway);
        case 'gateway-leave':
          return cluster.leaveGateway(e.gateway);
        case 'load':
          return cluster.setLoad(e.node, e.threads);
        case 'partition':
          links.partition(e.sides);
          break;
        case 'heal':
          links.heal();
          break;
        case 'link':
          links.addRule(e);
          break;
      }
      cluster.setLinks(links.tables());
    },
  };
}
