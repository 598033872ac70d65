import type { NodeCompactionStatus } from '../../api/types.js';
import type { ActorSystem } from '../../runtime/actor-system.js';
import type { StorageJobRunner } from '../../storage/job-runner.js';
import type { CompactionReply, CompactionRequest } from '../compaction/messages.js';
import { pilotEdgeDefaults, pilotTimings } from '../pilot/defaults.js';
import { bootPilotNode, type PilotNode, type PilotNodeConfig, type PilotNodeOptions } from '../pilot/pilot-node.js';
import type { TierSpec } from '../pilot/tier.js';
import { edgePaths, type ClusterLayout, type EdgePilotConfig } from './contract.js';

type PilotNodeConfigCompaction = NonNullable<PilotNodeOptions['compaction']>;

/** Knobs of EdgePilot inside an edge node beyond its config (tests, benchmarks). */
export interface EdgePilotHooks {
  /** Monitor report period; default the paper's 1 s (pilotDefaults.monitorPeriodMs). */
  monitorPeriodMs?: number;
  /** Absolute tier speed (see EmulatedTier): bytes per ms of a speedFactor-1 core. Unset: tiers stretch the real merge time. */
  referenceBytesPerMs?: number;
  /**
   * The runner doing this node's real flush and merge work (its own merges and
   * those received from other nodes), with or without EdgePilot. Default: the
   * process's shared piscina pools (storage/pool-runner.ts), so merges never
   * block the node's thread (Raft, gRPC, actors). Tests may pass an InlineJobRunner.
   */
  jobs?: StorageJobRunner;
  /** Largest merge offered to another node; default pilotTimings.maxOffloadBytes (half a target's memory bound for others' jobs). */
  maxOffloadBytes?: number;
  /** Chunked transfer and remote-job memory knobs of the compaction actor (tests). */
  compaction?: PilotNodeConfigCompaction;
  /** Emulated one-way network time for `bytes` between nodes (benchmarks); default none (the real transport's own time). */
  networkDelayMs?: (bytes: number) => number;
  /** Called with the node's pilot actors once they are spawned (tests read its CPU and placement). */
  onPilot?: (node: PilotNode) => void;
}

/** Every edge node of the layout, with its tier (configured, or real speed with the engine's merge concurrency). */
export function edgeFederation(layout: ClusterLayout, pilot: EdgePilotConfig | undefined, mergeConcurrency: number): PilotNodeConfig[] {
  const fallback: TierSpec = {
    name: pilotEdgeDefaults.defaultTierName,
    cores: mergeConcurrency + pilotEdgeDefaults.writePathCores,
    speedFactor: 1,
  };
  return layout.groups.flatMap((g) => g.members).map((name) => ({ name, tier: pilot?.tiers?.[name] ?? fallback }));
}

export function pilotEnabled(config: { pilot?: EdgePilotConfig }): boolean {
  return config.pilot?.enabled !== false;
}

/**
 * Spawns an edge node's EdgePilot actors at `edgePaths.compaction`,
 * `edgePaths.pilotMonitor` and `edgePaths.pilotScheduler`. Every other node
 * of the layout is reached at the same paths in its own system
 * (`{ system: <node>, path }`), over whatever transport the host wired.
 * `local` does the real merge work here; the engine takes
 * `new ActorJobRunner(node.compaction, node.cpu)`.
 */
export function bootEdgePilot(
  system: ActorSystem,
  config: { name: string; layout: ClusterLayout; pilot?: EdgePilotConfig },
  local: StorageJobRunner,
  mergeConcurrency: number,
  hooks: EdgePilotHooks = {},
): PilotNode {
  const federation = edgeFederation(config.layout, config.pilot, mergeConcurrency);
  const self = federation.find((n) => n.name === config.name)!;
  const paths = { compaction: edgePaths.compaction, monitor: edgePaths.pilotMonitor, scheduler: edgePaths.pilotScheduler } as const;
  const node = bootPilotNode({
    system,
    self,
    federation,
    runner: local,
    refOf: (n, path) => system.ref({ system: n, path }),
    pathOf: (_node, actor) => paths[actor],
    ...(config.pilot?.offload === false ? { offload: false } : {}),
    maxOffloadBytes: hooks.maxOffloadBytes ?? pilotTimings.maxOffloadBytes,
    ...(hooks.referenceBytesPerMs !== undefined
      ? { referenceBytesPerMs: hooks.referenceBytesPerMs }
      : config.pilot?.mergeMBps !== undefined
        ? { referenceBytesPerMs: config.pilot.mergeMBps * 1000 }
        : {}),
    ...(hooks.networkDelayMs !== undefined ? { networkDelayMs: hooks.networkDelayMs } : {}),
    ...(hooks.monitorPeriodMs !== undefined ? { monitorPeriodMs: hooks.monitorPeriodMs } : {}),
    ...(hooks.compaction !== undefined ? { compaction: hooks.compaction } : {}),
  });
  hooks.onPilot?.(node);
  return node;
}

/** Asks every edge node's compaction actor for its counters; nodes that do not answer in time are left out. */
export async function compactionStatus(system: ActorSystem, layout: ClusterLayout, timeoutMs: number): Promise<NodeCompactionStatus[]> {
  const names = layout.groups.flatMap((g) => g.members);
  const answers = await Promise.all(
    names.map(async (node): Promise<NodeCompactionStatus | undefined> => {
      try {
        const r = await system
          .ref<CompactionRequest>({ system: node, path: edgePaths.compaction })
          .ask<CompactionReply>({ type: 'stats' }, { timeoutMs });
        if (!r.ok || r.type !== 'stats') return undefined;
        const s = r.stats;
        return { node, local: s.localJobs, offloaded: s.remoteJobs, received: s.servedForOthers, fallbacks: s.remoteFallbacks };
      } catch {
        return undefined;
      }
    }),
  );
  return answers.filter((a) => a !== undefined);
}
