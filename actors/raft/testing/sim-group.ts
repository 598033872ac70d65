import type { ActorRef } from '../../../runtime/actor-ref.js';
import type { Address } from '../../../runtime/address.js';
import type { NetworkFaults } from '../../../runtime/sim/sim-network.js';
import { Simulation } from '../../../runtime/sim/simulation.js';
import { MemoryLogStore } from '../../../storage/raft-log/memory.js';
import { RaftClient, type RaftClientOptions } from '../client.js';
import type { RaftConfig } from '../config.js';
import { KvStateMachine } from '../kv/kv-state-machine.js';
import type { RaftMemberMessage, StatusReply } from '../member-messages.js';
import { RaftMember, type RaftMemberOptions } from '../member.js';
import type { NodeId } from '../types.js';

export interface SimGroupOptions {
  readonly seed: number;
  readonly size: number;
  readonly faults?: Partial<NetworkFaults>;
  readonly raft?: Omit<RaftConfig, 'id' | 'peers' | 'applied'>;
  readonly tickMs?: number;
  readonly snapshotEveryEntries?: number;
  readonly snapshotCatchupEntries?: number;
  /** Virtual time an fsync takes; 0 makes every save durable at once. */
  readonly fsyncMs?: number;
}

export const nodeName = (id: NodeId): string => `n${id}`;
export const memberAddress = (id: NodeId): Address => ({ system: nodeName(id), path: 'raft' });

/**
 * A Raft group of member actors inside the runtime's deterministic simulator:
 * virtual clock, seeded network, crash/restart with exactly what each log
 * store had synced. Reusable by scenario and property tests.
 */
export class SimGroup {
  readonly sim: Simulation;
  readonly ids: NodeId[];
  private readonly stores = new Map<NodeId, MemoryLogStore>();
  private readonly recovered = new Set<NodeId>();
  private readonly members = new Map<NodeId, RaftMember>();

  constructor(readonly opts: SimGroupOptions) {
    this.sim = new Simulation({ seed: opts.seed, faults: opts.faults, trace: false });
    this.ids = Array.from({ length: opts.size }, (_, i) => i + 1);
    const fsyncMs = opts.fsyncMs ?? 0;
    for (const id of this.ids) {
      this.stores.set(id, new MemoryLogStore(fsyncMs > 0 ? 'manual' : 'immediate'));
      this.sim.addNode(nodeName(id), (node) => {
        // A crash through sim.crash() directly (not this.crash) is only seen here, at reboot.
        if (node.incarnation > 0 && !this.recovered.delete(id)) this.stores.set(id, this.stores.get(id)!.recoverAfterCrash());
        const store = this.stores.get(id)!;
        // The fsync completes later in virtual time; a crash before then loses the write.
        store.onUnsynced = () => this.sim.schedule(fsyncMs, () => store.sync());
        const memberOpts: RaftMemberOptions = {
          id,
          peers: this.ids,
          peerRef: (to, ctx) => ctx.self.via.ref<RaftMemberMessage>(memberAddress(to)),
          store,
          stateMachine: () => new KvStateMachine(),
          raft: opts.raft,
          tickMs: opts.tickMs,
          snapshotEveryEntries: opts.snapshotEveryEntries,
          snapshotCatchupEntries: opts.snapshotCatchupEntries,
          onStart: (m) => this.members.set(id, m),
        };
        node.system.spawn(RaftMember.props(memberOpts), 'raft');
      });
    }
    this.sim.addNode('client', () => undefined);
  }

  /** The member instance currently running on node `id` (tests and metrics only). */
  member(id: NodeId): RaftMember | undefined {
    return this.members.get(id);
  }

  /** The live member that believes it leads in the highest term, read synchronously. */
  leaderNow(): NodeId | undefined {
    let best: { id: NodeId; term: number } | undefined;
    for (const [id, m] of this.members) {
      if (!this.sim.isUp(nodeName(id))) continue;
      const s = m.status();
      if (s.state === 'leader' && (!best || s.term > best.term)) best = { id, term: s.term };
    }
    return best?.id;
  }

  /** Power cut: the node stops and its log store keeps only what was synced at this instant. */
  crash(id: NodeId): void {
    if (!this.sim.isUp(nodeName(id))) return;
    this.sim.crash(nodeName(id));
    this.stores.set(id, this.stores.get(id)!.recoverAfterCrash());
    this.recovered.add(id);
  }

  restart(id: NodeId): void {
    this.sim.restart(nodeName(id));
  }

  store(id: NodeId): MemoryLogStore {
    return this.stores.get(id)!;
  }

  /** A client living on the simulator's client node; `only` pins it to some members. */
  client(opts?: RaftClientOptions, only: readonly NodeId[] = this.ids): RaftClient {
    const system = this.sim.node('client')!.system;
    return new RaftClient(system, new Map(only.map((id) => [id, memberAddress(id)])), opts);
  }

  ref(id: NodeId): ActorRef<RaftMemberMessage> {
    return this.sim.node('client')!.system.ref<RaftMemberMessage>(memberAddress(id));
  }

  async status(id: NodeId): Promise<StatusReply | undefined> {
    if (!this.sim.isUp(nodeName(id))) return undefined;
    const r = await this.run(this.ref(id).ask<StatusReply>({ kind: 'status' }, { timeoutMs: 1000 }), 2000);
    return r.ok ? r.value : undefined;
  }

  async leader(): Promise<NodeId | undefined> {
    let best: StatusReply | undefined;
    for (const id of this.ids) {
      const s = await this.status(id);
      if (s && s.state === 'leader' && (!best || s.term > best.term)) best = s;
    }
    return best?.id;
  }

  /** Runs the simulation while `op` is pending; resolves with its outcome. */
  async run<T>(op: Promise<T>, maxMs = 60_000): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    op.then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    await this.sim.runUntil(() => outcome !== undefined, maxMs);
    if (!outcome) throw new Error(`operation still pending after ${maxMs} virtual ms`);
    return outcome;
  }
}
