import { ActorSystem } from '../actor-system.js';
import { EdgeKVError } from '../errors.js';
import { MemoryLogger, type Logger } from '../logger.js';
import { SeededRandom } from '../random.js';
import { EventQueue } from './event-queue.js';
import { SimClock, VirtualTime } from './sim-clock.js';
import { SimDisk, type DiskHandle } from './sim-disk.js';
import { SimNetwork, type NetworkFaults } from './sim-network.js';

/** What a node's boot function gets: a fresh actor system and its (surviving) disk. */
export interface SimNode {
  readonly name: string;
  readonly system: ActorSystem;
  readonly disk: DiskHandle;
  /** 0 at first boot, +1 on every restart. */
  readonly incarnation: number;
}

/** Spawns a node's actors from what is on its disk; runs at first boot and after every restart. */
export type NodeBoot = (node: SimNode) => void;

export interface SimulationOptions {
  seed: number;
  faults?: Partial<NetworkFaults>;
  logger?: Logger;
  /** Keep a delivery trace for replay comparison (on by default). */
  trace?: boolean;
}

interface NodeSlot {
  boot: NodeBoot;
  disk: SimDisk;
  clock: SimClock | undefined;
  current: SimNode | undefined;
  incarnation: number;
}

/**
 * A whole cluster in one thread, on a virtual clock and a seeded network:
 * FoundationDB/TigerBeetle-style. Nodes are actor systems; the simulation runs
 * one event at a time (timer, message delivery, scripted fault), letting the
 * actors finish all the work it caused before the next. Same seed, same run.
 */
export class Simulation {
  readonly seed: number;
  readonly random: SeededRandom;
  readonly network: SimNetwork;
  readonly logger: Logger;
  private readonly time = new VirtualTime();
  private readonly queue = new EventQueue();
  private readonly nodes = new Map<string, NodeSlot>();
  eventsRun = 0;

  constructor(options: SimulationOptions) {
    this.seed = options.seed;
    this.random = new SeededRandom(options.seed);
    this.logger = options.logger ?? new MemoryLogger();
    this.network = new SimNetwork(this.time, this.queue, this.random.fork(), options.trace ?? true);
    this.network.faults = { ...this.network.faults, ...options.faults };
  }

  get nowMs(): number {
    return this.time.nowMs;
  }

  /** Adds a node and boots it now. */
  addNode(name: string, boot: NodeBoot): SimNode {
    if (this.nodes.has(name)) throw new EdgeKVError('NODE_EXISTS', `simulated node ${name} already exists`);
    const slot: NodeSlot = { boot, disk: new SimDisk(), clock: undefined, current: undefined, incarnation: -1 };
    this.nodes.set(name, slot);
    return this.boot(name, slot);
  }

  node(name: string): SimNode | undefined {
    return this.nodes.get(name)?.current;
  }

  isUp(name: string): boolean {
    return this.nodes.get(name)?.current !== undefined;
  }

  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  /**
   * Kills a node: its timers stop, its in-flight messages are lost, and its
   * disk keeps only what was synced (plus a random part of the rest).
   */
  crash(name: string, options: { loseUnsynced?: boolean } = {}): void {
    const slot = this.slot(name);
    if (slot.current === undefined) return;
    slot.clock?.kill();
    slot.current.system.halt();
    this.network.detach(name);
    slot.disk.crash(this.random, options.loseUnsynced ?? true);
    slot.current = undefined;
    this.logger.log('info', 'sim: node crashed', { node: name, atMs: this.nowMs });
  }

  /** Boots a crashed node again from its disk. */
  restart(name: string): SimNode {
    const slot = this.slot(name);
    if (slot.current !== undefined) throw new EdgeKVError('NODE_UP', `simulated node ${name} is up; crash it first`);
    this.logger.log('info', 'sim: node restarted', { node: name, atMs: this.nowMs });
    return this.boot(name, slot);
  }

  /** Runs `fn` at virtual time now + delayMs (a scripted fault, a client request). */
  schedule(delayMs: number, fn: () => void): void {
    this.queue.push(this.time.nowMs + delayMs, fn);
  }

  /** Runs events until virtual time reaches now + durationMs. */
  async runFor(durationMs: number): Promise<void> {
    const until = this.time.nowMs + durationMs;
    await this.settle();
    for (let next = this.queue.peek(); next !== undefined && next.atMs <= until; next = this.queue.peek()) {
      await this.step();
    }
    this.time.nowMs = until;
  }

  /** Runs until `done()` holds (checked after every event) or `maxMs` of virtual time passed. */
  async runUntil(done: () => boolean, maxMs: number): Promise<boolean> {
    const until = this.time.nowMs + maxMs;
    await this.settle();
    if (done()) return true;
    for (let next = this.queue.peek(); next !== undefined && next.atMs <= until; next = this.queue.peek()) {
      await this.step();
      if (done()) return true;
    }
    this.time.nowMs = Math.max(this.time.nowMs, until);
    return done();
  }

  private async step(): Promise<void> {
    const event = this.queue.pop()!;
    this.time.nowMs = Math.max(this.time.nowMs, event.atMs);
    this.eventsRun++;
    event.run();
    await this.settle();
  }

  /**
   * Lets every actor finish what the last event caused. Dispatchers run on
   * microtasks only in the simulator, so one macrotask turn drains them all.
   */
  private async settle(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private boot(name: string, slot: NodeSlot): SimNode {
    slot.incarnation++;
    slot.clock = new SimClock(this.time, this.queue);
    const system = new ActorSystem({
      name,
      clock: slot.clock,
      random: this.random.fork(),
      logger: this.logger,
      yieldToEventLoop: false,
    });
    this.network.attach(system);
    const node: SimNode = { name, system, disk: slot.disk.handle(), incarnation: slot.incarnation };
    slot.current = node;
    slot.boot(node);
    return node;
  }

  private slot(name: string): NodeSlot {
    const slot = this.nodes.get(name);
    if (slot === undefined) throw new EdgeKVError('NO_SUCH_NODE', `no simulated node named ${name}`);
    return slot;
  }
}
