import type { NetworkFaults } from '../../../runtime/sim/sim-network.js';
import { Simulation } from '../../../runtime/sim/simulation.js';
import { MemoryLogStore } from '../../../storage/raft-log/memory.js';
import type { GatewayTuning } from '../../gateway/defaults.js';
import type { GatewayActor } from '../../gateway/gateway-actor.js';
import { betweenRightClosed } from '../../gateway/interval.js';
import { ringId, type RingId } from '../../gateway/ring-id.js';
import type { RaftMember } from '../../raft/member.js';
import { bootEdgeNode, bootGateway } from '../boot.js';
import type { ClusterLayout, EdgeNodeHandle, GatewayHandle } from '../contract.js';
import type { EdgeTuning } from '../defaults.js';
import type { Migrator } from '../group-agent.js';
import { EdgeStateMachine } from '../edge-state-machine.js';

export interface SimClusterOptions {
  seed: number;
  /** Members per group, one entry per group: [3, 3] is two groups of three. */
  groups: number[];
  /** Names the groups, members and gateways freely instead (then `groups` is ignored). */
  layout?: ClusterLayout;
  faults?: Partial<NetworkFaults>;
  /** Virtual time an fsync takes (0: durable at once). */
  fsyncMs?: number;
  snapshotEveryEntries?: number;
  edgeTuning?: Partial<EdgeTuning>;
  gatewayTuning?: Partial<GatewayTuning>;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * A whole EdgeKV cluster in the runtime's simulator, every node and gateway
 * booted with the real boot functions (one sim node per actor system), each
 * edge node on an in-memory Raft log that a crash cuts back to what was
 * synced. Group `g<i>` has members `g<i>-n<j>` and gateway `g<i>-gw`.
 */
export class SimCluster {
  readonly sim: Simulation;
  readonly layout: ClusterLayout;
  private readonly stores = new Map<string, MemoryLogStore>();
  private readonly recovered = new Set<string>();
  private readonly handles = new Map<string, Promise<EdgeNodeHandle>>();
  private readonly gatewayHandles = new Map<string, Promise<GatewayHandle>>();
  readonly members = new Map<string, RaftMember>();
  readonly gateways = new Map<string, GatewayActor>();
  readonly migrators = new Map<string, Migrator>();

  constructor(readonly opts: SimClusterOptions) {
    this.sim = new Simulation({ seed: opts.seed, faults: opts.faults, trace: false });
    this.layout = opts.layout ?? {
      groups: opts.groups.map((size, gi) => ({
        id: `g${gi + 1}`,
        members: Array.from({ length: size }, (_, i) => `g${gi + 1}-n${i + 1}`),
        gateway: `g${gi + 1}-gw`,
      })),
    };
    for (const g of this.layout.groups) for (const m of g.members) this.addEdgeNode(m);
  }

  get nodeNames(): string[] {
    return this.layout.groups.flatMap((g) => g.members);
  }

  private addEdgeNode(name: string): void {
    const fsyncMs = this.opts.fsyncMs ?? 0;
    this.stores.set(name, new MemoryLogStore(fsyncMs > 0 ? 'manual' : 'immediate'));
    this.sim.addNode(name, (node) => {
      if (node.incarnation > 0 && !this.recovered.delete(name)) this.stores.set(name, this.stores.get(name)!.recoverAfterCrash());
      const store = this.stores.get(name)!;
      store.onUnsynced = () => this.sim.schedule(fsyncMs, () => store.sync());
      this.handles.set(
        name,
        bootEdgeNode(
          node.system,
          { name, layout: this.layout, dataDir: `/sim/${name}` },
          {
            logStore: () => store,
            // The simulator keeps the group state in memory (its disks are simulated; the LSM engine needs a real one).
            stateMachine: () => new EdgeStateMachine(),
            ...(this.opts.snapshotEveryEntries !== undefined ? { snapshotEveryEntries: this.opts.snapshotEveryEntries, snapshotCatchupEntries: 2 } : {}),
            ...(this.opts.edgeTuning !== undefined ? { tuning: this.opts.edgeTuning } : {}),
            onMember: (m) => this.members.set(name, m),
          },
        ),
      );
    });
  }

  /** Boots group `groupId`'s gateway: it creates the ring, or joins through `joinVia` (a gateway name). */
  addGateway(groupId: string, joinVia?: string): void {
    const name = this.layout.groups.find((g) => g.id === groupId)?.gateway ?? `${groupId}-gw`;
    const boot = (system: Parameters<typeof bootGateway>[0], via: string | undefined) =>
      bootGateway(
        system,
        { name, layout: this.layout, ...(via !== undefined ? { joinVia: via } : {}) },
        {
          ...(this.opts.gatewayTuning !== undefined ? { tuning: this.opts.gatewayTuning } : {}),
          ...(this.opts.edgeTuning !== undefined ? { edgeTuning: this.opts.edgeTuning } : {}),
          onGateway: (g) => this.gateways.set(name, g),
          onMigrator: (m) => this.migrators.set(name, m),
        },
      );
    this.sim.addNode(name, (node) => this.gatewayHandles.set(name, boot(node.system, joinVia)));
  }

  door(node: string): Promise<EdgeNodeHandle> {
    return this.handles.get(node)!;
  }

  gatewayHandle(gateway: string): Promise<GatewayHandle> {
    return this.gatewayHandles.get(gateway)!;
  }

  /** Snapshots edge nodes received from their leaders (coverage counter for properties). */
  snapshotsInstalled(): number {
    let n = 0;
    for (const s of this.stores.values()) n += s.snapshotsInstalled;
    return n;
  }

  /** Power cut of an edge node: its log keeps what was synced. */
  crash(node: string): void {
    if (!this.sim.isUp(node)) return;
    this.sim.crash(node);
    this.stores.set(node, this.stores.get(node)!.recoverAfterCrash());
    this.recovered.add(node);
    this.members.delete(node);
  }

  restart(node: string): void {
    if (!this.sim.isUp(node)) this.sim.restart(node);
  }

  /** The live member of `groupId` that leads in the highest term (synchronous). */
  leaderOf(groupId: string): string | undefined {
    const g = this.layout.groups.find((x) => x.id === groupId)!;
    let best: { name: string; term: number } | undefined;
    for (const m of g.members) {
      const member = this.members.get(m);
      if (member === undefined || !this.sim.isUp(m)) continue;
      const s = member.status();
      if (s.state === 'leader' && (best === undefined || s.term > best.term)) best = { name: m, term: s.term };
    }
    return best?.name;
  }

  /** Every gateway in the ring serves and knows its true live neighbours. */
  ringStable(live: readonly string[]): boolean {
    const ids = live.map((n) => ({ n, id: ringId(n) })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return ids.every(({ n }, i) => {
      const g = this.gateways.get(n);
      if (g === undefined) return false;
      const s = g.status();
      const pred = ids[(i - 1 + ids.length) % ids.length]!;
      const succ = ids[(i + 1) % ids.length]!;
      if (s.state !== 'serving') return false;
      if (ids.length === 1) return true;
      return s.predecessor?.id === pred.id && s.successors[0]?.id === succ.id;
    });
  }

  /** The group whose gateway owns `key`, among the live gateways `live`. */
  ownerGroup(key: Uint8Array, live: readonly string[]): string {
    const id: RingId = ringId(key);
    const ids = live.map((n) => ({ n, id: ringId(n) })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let i = 0; i < ids.length; i++) {
      const pred = ids[(i - 1 + ids.length) % ids.length]!;
      if (ids.length === 1 || betweenRightClosed(pred.id, id, ids[i]!.id)) return this.layout.groups.find((g) => g.gateway === ids[i]!.n)!.id;
    }
    throw new Error('no owner');
  }

  /** Runs the simulation while `op` is pending; resolves with its outcome. */
  async run<T>(op: Promise<T>, maxMs = 120_000): Promise<Outcome<T>> {
    let outcome: Outcome<T> | undefined;
    op.then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    await this.sim.runUntil(() => outcome !== undefined, maxMs);
    if (outcome === undefined) throw new Error(`operation still pending after ${maxMs} virtual ms`);
    return outcome;
  }

  /** Like `run`, but throws the operation's error. */
  async must<T>(op: Promise<T>, maxMs = 120_000): Promise<T> {
    const r = await this.run(op, maxMs);
    if (!r.ok) throw r.error;
    return r.value;
  }
}
