import type { ActorSystem, RemoteEnvelope, RemoteRouter } from '../actor-system.js';
import { decode, encode } from '../codec.js';
import type { SeededRandom } from '../random.js';
import type { EventQueue } from './event-queue.js';
import type { VirtualTime } from './sim-clock.js';

/**
 * Faults the network applies to each message, drawn from the simulation's
 * seeded PRNG. Without `reorder`, delivery on each directed link stays FIFO
 * (a later message never overtakes an earlier one), whatever the delays.
 */
export interface NetworkFaults {
  /** Probability that a message is lost. */
  dropRate: number;
  /** Probability that a message is delivered twice. */
  duplicateRate: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Let jitter reorder messages on a link. */
  reorder: boolean;
}

export const perfectNetwork: NetworkFaults = { dropRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 1, reorder: false };

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  blockedByPartition: number;
}

/** A trace line a test can compare between runs of the same seed. */
export interface DeliveryRecord {
  atMs: number;
  from: string;
  to: string;
  bytes: number;
}

/**
 * The in-memory network of a simulation. Every message is encoded on send and
 * decoded on delivery (as on a real wire, so refs rebind and unserializable
 * messages fail in tests), delayed, maybe dropped or duplicated, and blocked
 * between partitioned nodes.
 */
export class SimNetwork {
  faults: NetworkFaults = { ...perfectNetwork };
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, blockedByPartition: 0 };
  readonly trace: DeliveryRecord[] = [];
  /** Directed links that are cut: "from->to". */
  private readonly cut = new Set<string>();
  private readonly lastDeliveryMs = new Map<string, number>();
  private readonly endpoints = new Map<string, ActorSystem>();
  private readonly linkFaults = new Map<string, Partial<NetworkFaults>>();

  constructor(
    private readonly time: VirtualTime,
    private readonly queue: EventQueue,
    private readonly random: SeededRandom,
    private readonly traceEnabled = true,
  ) {}

  /** Connects (or reconnects, after a restart) a node's actor system. */
  attach(system: ActorSystem): void {
    this.endpoints.set(system.name, system);
    const from = system.name;
    const router: RemoteRouter = {
      send: (envelope) => {
        // A crashed incarnation keeps running stray microtasks: it must not reach the network.
        if (this.endpoints.get(from) !== system) return true;
        this.transmit(from, envelope);
        return true;
      },
    };
    system.attachRemote(router);
  }

  /** The node is down: nothing is delivered to it until it attaches again. */
  detach(name: string): void {
    this.endpoints.delete(name);
  }

  /** Overrides faults on the directed link from → to (latency of a slow link, a lossy link). */
  setLinkFaults(from: string, to: string, faults: Partial<NetworkFaults>): void {
    this.linkFaults.set(`${from}->${to}`, faults);
  }

  /** Cuts every link between a node of `side` and a node of `other`, both directions. */
  partition(side: string[], other: string[]): void {
    for (const a of side) {
      for (const b of other) {
        if (a === b) continue;
        this.cut.add(`${a}->${b}`);
        this.cut.add(`${b}->${a}`);
      }
    }
  }

  /** Cuts one direction only (asymmetric partitions are real: a bad NIC, a firewall rule). */
  cutLink(from: string, to: string): void {
    this.cut.add(`${from}->${to}`);
  }

  heal(): void {
    this.cut.clear();
  }

  isCut(from: string, to: string): boolean {
    return this.cut.has(`${from}->${to}`);
  }

  private transmit(from: string, envelope: RemoteEnvelope): void {
    const to = envelope.to.system;
    const link = `${from}->${to}`;
    const f = { ...this.faults, ...this.linkFaults.get(link) };
    this.stats.sent++;
    const bytes = encode(envelope);
    if (this.cut.has(link)) {
      this.stats.blockedByPartition++;
      return;
    }
    if (f.dropRate > 0 && this.random.next() < f.dropRate) {
      this.stats.dropped++;
      return;
    }
    const copies = f.duplicateRate > 0 && this.random.next() < f.duplicateRate ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      const delayMs = f.minDelayMs + this.random.next() * (f.maxDelayMs - f.minDelayMs);
      let atMs = this.time.nowMs + delayMs;
      if (!f.reorder) {
        atMs = Math.max(atMs, this.lastDeliveryMs.get(link) ?? 0);
        this.lastDeliveryMs.set(link, atMs);
      }
      this.queue.push(atMs, () => this.deliver(from, to, bytes));
    }
  }

  private deliver(from: string, to: string, bytes: Buffer): void {
    // A partition that started while the message was in flight also stops it.
    if (this.cut.has(`${from}->${to}`)) {
      this.stats.blockedByPartition++;
      return;
    }
    const system = this.endpoints.get(to);
    if (system === undefined) {
      this.stats.dropped++;
      return;
    }
    this.stats.delivered++;
    if (this.traceEnabled) this.trace.push({ atMs: this.time.nowMs, from, to, bytes: bytes.length });
    system.receiveRemote(decode<RemoteEnvelope>(bytes, system));
  }
}
