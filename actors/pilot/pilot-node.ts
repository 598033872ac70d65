import type { ActorRef, ActorSystem } from '../../runtime/index.js';
import { compactionActorProps, type CompactionActorOptions } from '../compaction/compaction-actor.js';
import type { CompactionRequest } from '../compaction/messages.js';
import type { StorageJobRunner } from '../../storage/job-runner.js';
import { EmulatedTier, type HostCpu } from './emulated-tier.js';
import type { SchedulerMessage } from './messages.js';
import { monitorProps, type MonitorMessage } from './monitor-actor.js';
import { pilotTimings } from './defaults.js';
import { pilotPlacement } from './placement.js';
import { schedulerProps } from './scheduler-actor.js';
import { resolveTier, type TierName, type TierSpec } from './tier.js';

export interface PilotNodeConfig {
  name: string;
  tier: TierName | TierSpec;
}

export interface PilotNodeOptions {
  system: ActorSystem;
  self: PilotNodeConfig;
  /** Every node of the federation, this one included. */
  federation: readonly PilotNodeConfig[];
  /** The runner that does the real merge work here (a PoolJobRunner, or inline in tests). */
  runner: StorageJobRunner;
  /** The host's real threads when several emulated nodes share them. */
  host?: { merge: HostCpu; flush: HostCpu };
  /** Absolute tier speed: bytes per ms merged by a speedFactor-1 core (see EmulatedTier). */
  referenceBytesPerMs?: number;
  /** The ref of `path` on `node` (same system in one process, a remote address in the simulator). */
  refOf: <M>(node: string, path: string) => ActorRef<M>;
  /** Actor names; several nodes sharing one actor system need distinct ones. */
  pathOf?: (node: string, actor: 'compaction' | 'monitor' | 'scheduler') => string;
  /** false: baseline (every merge local); the node still serves others' merges and reports. */
  offload?: boolean;
  networkDelayMs?: (bytes: number) => number;
  monitorPeriodMs?: number;
  /** Merges larger than this (input bytes) always run locally (default: what a target's memory bound can take). */
  maxOffloadBytes?: number;
  /** Passed through to the compaction actor (timeouts in tests). */
  compaction?: Partial<Pick<CompactionActorOptions, 'remoteTimeoutMs' | 'transfer' | 'maxHeldForOthersBytes' | 'minTransferBytesPerMs'>>;
}

export interface PilotNode {
  name: string;
  tier: TierSpec;
  cpu: EmulatedTier;
  compaction: ActorRef<CompactionRequest>;
  monitor: ActorRef<MonitorMessage>;
  scheduler: ActorRef<SchedulerMessage>;
  /** How this node's merges are placed (undefined in the baseline). */
  placement: ReturnType<typeof pilotPlacement> | undefined;
}

export const defaultPilotPath = (node: string, actor: 'compaction' | 'monitor' | 'scheduler'): string => `pilot-${actor}-${node}`;

/**
 * Boots one node's EdgePilot actors: its emulated CPU (tier), the compaction
 * actor that asks the master where each merge runs, the monitor that reports
 * every period, and a scheduler (the master if this node has the most capacity,
 * a warm standby otherwise). The engine takes `new ActorJobRunner(node.compaction, node.cpu)`.
 */
export function bootPilotNode(o: PilotNodeOptions): PilotNode {
  const pathOf = o.pathOf ?? defaultPilotPath;
  const tier = resolveTier(o.self.tier);
  const cpu = new EmulatedTier(o.runner, tier, o.system.clock, o.host, o.referenceBytesPerMs);
  const name = o.self.name;
  const schedulers = o.federation.map((n) => {
    const t = resolveTier(n.tier);
    return { node: n.name, ref: o.refOf<SchedulerMessage>(n.name, pathOf(n.name, 'scheduler')), capacity: t.cores * t.speedFactor };
  });
  const scheduler = o.system.spawn(schedulerProps({ node: name }), pathOf(name, 'scheduler'));
  const placement =
    o.offload === false
      ? undefined
      : pilotPlacement({
          node: name,
          clock: o.system.clock,
          schedulers,
          compactionOf: (n) => o.refOf<CompactionRequest>(n, pathOf(n, 'compaction')),
          maxOffloadBytes: o.maxOffloadBytes ?? pilotTimings.maxOffloadBytes,
        });
  let monitorRef: ActorRef<MonitorMessage> | undefined;
  const compaction = o.system.spawn(
    compactionActorProps({
      local: cpu,
      node: name,
      ...(placement !== undefined ? { placement } : {}),
      // Jobs accepted whose inputs are still arriving will take a core too.
      admitRemote: (pending) => cpu.status().availableCores - pending >= 1,
      ...(o.networkDelayMs !== undefined ? { networkDelayMs: o.networkDelayMs } : {}),
      onRecord: (event) => monitorRef?.tell({ type: 'record', event }),
      ...o.compaction,
    }),
    pathOf(name, 'compaction'),
  );
  monitorRef = o.system.spawn(
    monitorProps({
      node: name,
      cores: tier.cores,
      speedFactor: tier.speedFactor,
      ...(o.referenceBytesPerMs !== undefined ? { mergeBytesPerMs: o.referenceBytesPerMs * tier.speedFactor } : {}),
      probe: () => cpu.status(),
      schedulers: () => schedulers.map((s) => s.ref),
      ...(o.monitorPeriodMs !== undefined ? { periodMs: o.monitorPeriodMs } : {}),
    }),
    pathOf(name, 'monitor'),
  );
  return { name, tier, cpu, compaction, monitor: monitorRef, scheduler, placement };
}
