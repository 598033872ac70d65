import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ActorSystem } from '../../runtime/actor-system.js';
import type { ActorRef } from '../../runtime/actor-ref.js';
import { LSM_DEFAULTS, type LsmTuning } from '../../storage/defaults.js';
import { LsmEngine } from '../../storage/engine.js';
import type { StorageJobRunner } from '../../storage/job-runner.js';
import { acquireStoragePool, type StoragePoolLease } from '../../storage/pool-runner.js';
import type { CompactionReply } from '../compaction/messages.js';
import { ActorJobRunner } from '../compaction/actor-job-runner.js';
import type { PilotNode } from '../pilot/pilot-node.js';
import { NodeFileSystem } from '../../storage/fs-node.js';
import { LmdbLogStore } from '../../storage/raft-log/lmdb.js';
import type { GatewayTuning } from '../gateway/defaults.js';
import { GatewayActor } from '../gateway/gateway-actor.js';
import type { GatewayMessage, GroupRequest, LeaveReply } from '../gateway/messages.js';
import type { RaftConfig } from '../raft/config.js';
import type { ReplicatedKv } from '../raft/kv/kv-state-machine.js';
import type { RaftMemberMessage } from '../raft/member-messages.js';
import { RaftMember } from '../raft/member.js';
import type { LogStore } from '../raft/storage.js';
import { edgePaths, type BootEdgeNode, type BootGateway, type EdgeNodeConfig, type EdgeNodeHandle, type EdgeNodeMetrics, type GatewayConfig, type GatewayHandle } from './contract.js';
import { edgeDefaults, type EdgeTuning } from './defaults.js';
import { EdgeStateMachine } from './edge-state-machine.js';
import { LeaveFailedError } from './errors.js';
import { LsmKvStore } from './lsm-store.js';
import { EdgeFrontDoor } from './front-door.js';
import { GroupAgent, GroupDirectory, Migrator } from './group-agent.js';
import { checkLayout, groupOfGateway, groupOfNode } from './layout.js';
import { doorProps } from './door-actor.js';
import { bootEdgePilot, compactionStatus, pilotEnabled, type EdgePilotHooks } from './edge-pilot.js';

/** Optional knobs beyond the contract: tests, the simulator, benchmarks. */
export interface EdgeNodeHooks {
  /** The member's log store; default: lmdb in `<dataDir>/raft`. The simulator passes an in-memory store. */
  logStore?: () => LogStore;
  /**
   * The replicated state machine. Default: EdgeStateMachine over the LSM
   * engine in `<dataDir>/lsm` (no engine WAL: the Raft log is the WAL). The
   * simulator passes one over the in-memory map.
   */
  stateMachine?: () => ReplicatedKv;
  /** Called with each state machine the member creates (at every (re)start; tests compare members). */
  onStateMachine?: (sm: ReplicatedKv) => void;
  raft?: Omit<RaftConfig, 'id' | 'peers' | 'applied'>;
  tickMs?: number;
  snapshotEveryEntries?: number;
  snapshotCatchupEntries?: number;
  requestTimeoutTicks?: number;
  tuning?: Partial<EdgeTuning>;
  /** Called with each member instance at (re)start (tests inspect roles). */
  onMember?: (member: RaftMember) => void;
  /** LSM engine tuning of the default state machine (tests: a small write buffer so merges come quickly). */
  lsm?: Partial<LsmTuning>;
  /** EdgePilot knobs beyond `config.pilot` (monitor period, tier speed reference, test callbacks). */
  pilot?: EdgePilotHooks;
}

/**
 * Boots an edge node in `system` (named `config.name`): its group's Raft
 * member at `edgePaths.raft` (raft id = position in the group's member list
 * + 1) on an lmdb log in `<dataDir>/raft`, and the front door at
 * `edgePaths.door`. Resolves once the actors are spawned; the group elects a
 * leader on its own (calls before that wait and retry until their deadline).
 */
export async function bootEdgeNode(system: ActorSystem, config: EdgeNodeConfig, hooks: EdgeNodeHooks = {}): Promise<EdgeNodeHandle> {
  checkLayout(config.layout);
  const group = groupOfNode(config.layout, config.name);
  let store: LogStore;
  if (hooks.logStore !== undefined) {
    store = hooks.logStore();
  } else {
    const path = join(config.dataDir, 'raft');
    mkdirSync(path, { recursive: true });
    store = LmdbLogStore.open({ path });
  }
  let engine: LsmEngine | undefined;
  let pilot: PilotNode | undefined;
  let poolLease: StoragePoolLease | undefined;
  let makeStateMachine = hooks.stateMachine;
  if (makeStateMachine === undefined) {
    // Flushes and merges run on the process's piscina pools, never on this
    // node's thread (a merge there would hold up Raft and the front door).
    // EdgePilot: the engine's merges go through the compaction actor, which
    // runs them here (on the pool) or on another edge node; flushes stay
    // here. Spawned before the engine opens, which may start merging at once.
    let local: StorageJobRunner;
    if (hooks.pilot?.jobs !== undefined) {
      local = hooks.pilot.jobs;
    } else {
      poolLease = acquireStoragePool();
      local = poolLease.runner;
    }
    let jobs: StorageJobRunner = local;
    if (pilotEnabled(config)) {
      const concurrency = hooks.lsm?.maxBackgroundCompactions ?? config.lsm?.maxBackgroundCompactions ?? LSM_DEFAULTS.maxBackgroundCompactions;
      pilot = bootEdgePilot(system, config, local, concurrency, hooks.pilot);
      jobs = new ActorJobRunner(pilot.compaction, pilot.cpu);
    }
    // The Raft log is the WAL: the engine runs without one (see lsm-store.ts).
    let lsm: LsmEngine;
    try {
      lsm = await LsmEngine.open({
        ...config.lsm,
        ...hooks.lsm,
        fs: new NodeFileSystem(),
        dir: join(config.dataDir, 'lsm'),
        wal: false,
        jobs,
      });
    } catch (e) {
      if (pilot !== undefined) for (const ref of [pilot.monitor, pilot.scheduler, pilot.compaction]) system.stop(ref);
      await poolLease?.release();
      throw e;
    }
    engine = lsm;
    makeStateMachine = () => new EdgeStateMachine(new LsmKvStore(lsm));
  }
  const made = makeStateMachine;
  const stateMachine = (): ReplicatedKv => {
    const sm = made();
    hooks.onStateMachine?.(sm);
    return sm;
  };
  const peers = group.members.map((_, i) => i + 1);
  const member = system.spawn<RaftMemberMessage>(
    RaftMember.props({
      id: group.members.indexOf(config.name) + 1,
      peers,
      peerRef: (to, ctx) => ctx.self.via.ref<RaftMemberMessage>({ system: group.members[to - 1]!, path: edgePaths.raft }),
      store,
      stateMachine,
      ...(hooks.raft !== undefined ? { raft: hooks.raft } : {}),
      ...(hooks.tickMs !== undefined ? { tickMs: hooks.tickMs } : {}),
      ...(hooks.snapshotEveryEntries !== undefined ? { snapshotEveryEntries: hooks.snapshotEveryEntries } : {}),
      ...(hooks.snapshotCatchupEntries !== undefined ? { snapshotCatchupEntries: hooks.snapshotCatchupEntries } : {}),
      ...(hooks.requestTimeoutTicks !== undefined ? { requestTimeoutTicks: hooks.requestTimeoutTicks } : {}),
      ...(hooks.onMember !== undefined ? { onStart: hooks.onMember } : {}),
    }),
    edgePaths.raft,
  );
  const door = new EdgeFrontDoor(system, config.name, config.layout, hooks.tuning);
  const doorRef = system.spawn(doorProps(door), edgePaths.door);
  let closed = false;
  return {
    get: (call, timeoutMs) => door.get(call, timeoutMs),
    put: (call, timeoutMs) => door.put(call, timeoutMs),
    delete: (call, timeoutMs) => door.delete(call, timeoutMs),
    rangeGet: (call, timeoutMs) => door.rangeGet(call, timeoutMs),
    rangeDelete: (call, timeoutMs) => door.rangeDelete(call, timeoutMs),
    status: async () => {
      if (pilot === undefined) return door.status();
      // Asked alongside the ring and groups, so a dead node costs one status timeout, not two.
      const timeoutMs = hooks.tuning?.statusTimeoutMs ?? edgeDefaults.statusTimeoutMs;
      const [status, compaction] = await Promise.all([door.status(), compactionStatus(system, config.layout, timeoutMs)]);
      return { ...status, compaction };
    },
    metrics: async () => {
      const metrics: EdgeNodeMetrics = { node: config.name };
      if (engine !== undefined) {
        const stall = engine.stats().stall;
        metrics.stall = { totalMs: stall.totalMs, byCauseMs: { ...stall.byCauseMs } };
      }
      if (pilot !== undefined) {
        const r = await pilot.compaction.ask<CompactionReply>({ type: 'stats' }, { timeoutMs: edgeDefaults.statusTimeoutMs }).catch(() => undefined);
        if (r?.ok === true && r.type === 'stats') {
          const s = r.stats;
          metrics.compactions = {
            local: s.localJobs,
            offloaded: s.remoteJobs,
            received: s.servedForOthers,
            fallbacks: s.remoteFallbacks,
            fallbacksByReason: { ...s.fallbacksByReason },
          };
        }
        metrics.loadThreads = pilot.cpu.status().loadThreads;
      }
      return metrics;
    },
    setLoad: (threads) => pilot?.cpu.setLoadThreads(threads),
    close: async () => {
      if (closed) return;
      closed = true;
      if (!system.isTerminated) {
        system.stop(doorRef);
        system.stop(member);
      }
      await store.close();
      // The engine waits for its running merges, which need the compaction actor.
      await engine?.close();
      if (pilot !== undefined && !system.isTerminated) {
        system.stop(pilot.monitor);
        system.stop(pilot.scheduler);
        system.stop(pilot.compaction);
      }
      await poolLease?.release();
    },
  };
}

export interface GatewayHooks {
  tuning?: Partial<GatewayTuning>;
  edgeTuning?: Partial<EdgeTuning>;
  /** Called with each gateway instance at (re)start (tests read ring state synchronously). */
  onGateway?: (gateway: GatewayActor) => void;
  /** Called with the migrator (tests count moves). */
  onMigrator?: (migrator: Migrator) => void;
}

/**
 * Boots a gateway in `system` (named `config.name`): the group agent at
 * `edgePaths.groupAgent` (routed global requests → this group's Raft) and the
 * Chord gateway at `edgePaths.gateway`, which joins the ring through
 * `config.joinVia` (or creates it) with the migrator as its range listener,
 * so global keys move between groups when the ring changes.
 */
export async function bootGateway(system: ActorSystem, config: GatewayConfig, hooks: GatewayHooks = {}): Promise<GatewayHandle> {
  checkLayout(config.layout);
  const group = groupOfGateway(config.layout, config.name);
  const directory = new GroupDirectory(system, config.layout, hooks.edgeTuning);
  const migrator = new Migrator(system, config.name, directory, hooks.edgeTuning);
  const agent = system.spawn<GroupRequest>(
    GroupAgent.props(group, directory, hooks.edgeTuning, (keyId) => migrator.isSettled(keyId)),
    edgePaths.groupAgent,
  );
  hooks.onMigrator?.(migrator);
  const bootstrap: ActorRef<GatewayMessage>[] =
    config.joinVia !== undefined ? [system.ref<GatewayMessage>({ system: config.joinVia, path: edgePaths.gateway })] : [];
  const gateway = system.spawn<GatewayMessage>(
    {
      create: () => {
        const actor = new GatewayActor({
          name: config.name,
          ...(bootstrap.length > 0 ? { bootstrap } : {}),
          group: agent,
          // Bound: the gateway may call a hook detached from its object.
          listener: {
            acquire: (e) => migrator.acquire(e),
            release: (e) => migrator.release(e),
            changed: (e) => migrator.changed(e),
          },
          ...(hooks.tuning !== undefined ? { tuning: hooks.tuning } : {}),
        });
        hooks.onGateway?.(actor);
        return actor as never;
      },
    },
    edgePaths.gateway,
  );
  let closed = false;
  const stop = (): void => {
    if (closed || system.isTerminated) return;
    closed = true;
    if (system.has(edgePaths.gateway)) system.stop(gateway);
    system.stop(agent);
  };
  return {
    leave: async () => {
      const t = { ...edgeDefaults, ...hooks.edgeTuning };
      let reason = 'not attempted';
      for (let i = 0; i < t.leaveAttempts; i++) {
        let reply: LeaveReply;
        migrator.beginLeave();
        try {
          reply = await gateway.ask<LeaveReply>({ kind: 'leave' }, { timeoutMs: t.leaveAskTimeoutMs });
        } catch (e) {
          reason = e instanceof Error ? e.message : String(e);
          break;
        }
        if (reply.kind === 'left') {
          stop();
          return;
        }
        reason = reply.reason;
        // Aborted after the release pushed the range out: take it back before serving it again (retried until it works).
        for (let undo = 1; ; undo++) {
          try {
            await migrator.undoLeave();
            break;
          } catch (e) {
            if (undo >= t.leaveAttempts) throw new LeaveFailedError(config.name, `${reason}; and its range could not be taken back: ${String(e)}`);
            await new Promise<void>((resolve) => system.clock.setTimeout(resolve, t.leaveRetryMs));
          }
        }
        await new Promise<void>((resolve) => system.clock.setTimeout(resolve, t.leaveRetryMs));
      }
      throw new LeaveFailedError(config.name, reason);
    },
    close: async () => stop(),
  };
}

// The boot functions fit the contract's types (their extra `hooks` parameter is optional).
void (bootEdgeNode satisfies BootEdgeNode);
void (bootGateway satisfies BootGateway);
