import { SeededRandom } from '../../../runtime/random.js';
import { MemoryLogStore } from '../../../storage/raft-log/memory.js';
import { decodeConfChange } from '../conf-change.js';
import type { RaftConfig } from '../config.js';
import { RaftCore, type Ready } from '../core.js';
import { isLocalMessage, type Message } from '../messages.js';
import type { ReadState } from '../read-only.js';
import type { StateMachine } from '../state-machine.js';
import type { Entry, NodeId } from '../types.js';
import { RecorderStateMachine } from './recorder.js';

export type ConfigOverrides = Omit<RaftConfig, 'id' | 'peers' | 'applied'>;

/** A scripted Raft node: pure core, in-memory store, state machine, and what it has seen. */
export class TestNode {
  core!: RaftCore;
  sm!: StateMachine;
  readonly store: MemoryLogStore;
  readStates: ReadState[] = [];
  /** Every Ready this node produced, for tests that inspect ordering. */
  readies: Ready[] = [];
  /** The highest commit index this node ever reported; it must never go down. */
  maxCommit = 0;
  crashed = false;

  constructor(
    readonly id: NodeId,
    private readonly makeCore: (node: TestNode) => RaftCore,
    private readonly makeSm: () => StateMachine,
  ) {
    this.store = new MemoryLogStore('immediate');
    this.boot();
  }

  /** (Re)creates core and state machine from whatever the store holds durably. */
  boot(): void {
    this.sm = this.makeSm();
    const snap = this.store.snapshot();
    if (snap.meta.index > 0) this.sm.restore(snap.data);
    this.core = this.makeCore(this);
    this.readStates = [];
    this.crashed = false;
  }

  get recorded(): string[] {
    return this.sm instanceof RecorderStateMachine ? this.sm.values : [];
  }
}

export interface ClusterOptions {
  readonly seed?: number;
  readonly config?: ConfigOverrides;
  /** Per-node overrides on top of `config`. */
  readonly perNode?: Readonly<Record<number, ConfigOverrides>>;
  readonly learners?: readonly NodeId[];
  readonly stateMachine?: () => StateMachine;
}

/** Decides the fate of one message: deliver it, or drop it. */
export type MessageFilter = (m: Message) => boolean;

/**
 * A deterministic little network of pure cores for scenario tests: messages
 * queue in FIFO order and are delivered only when the test says so; drops
 * and partitions are explicit; a crash keeps exactly what each store had
 * synced. On every step it checks the invariants scenario tests rely on:
 * - persist before send: no message leaves with a term or vote its sender
 *   has not made durable;
 * - the commit index of a node never goes backwards;
 * - at most one leader per term;
 * - state machine safety: every node applies the same entry at an index.
 */
export class TestCluster {
  readonly nodes = new Map<NodeId, TestNode>();
  /** Messages sent and not yet delivered, oldest first. */
  queue: Message[] = [];
  private filters: MessageFilter[] = [];
  private rewrites: ((m: Message) => Message)[] = [];
  private cut = new Set<string>();
  private readonly leaders = new Map<number, NodeId>();
  private readonly appliedAt = new Map<number, string>();
  readonly random: SeededRandom;
  delivered = 0;
  dropped = 0;

  constructor(readonly ids: readonly NodeId[], readonly opts: ClusterOptions = {}) {
    this.random = new SeededRandom(opts.seed ?? 1);
    for (const id of ids) this.addNode(id, ids.filter((p) => !(opts.learners ?? []).includes(p)));
  }

  /** Adds a node process (e.g. one about to join through a conf change) with the given initial peers. */
  addNode(id: NodeId, peers: readonly NodeId[], learners: readonly NodeId[] = this.opts.learners ?? []): TestNode {
    const rnd = this.random.fork();
    const node = new TestNode(
      id,
      (n) =>
        new RaftCore(
          {
            ...this.opts.config,
            ...this.opts.perNode?.[id],
            id,
            peers,
            learners,
            applied: n.store.snapshot().meta.index,
          },
          n.store,
          rnd,
        ),
      this.opts.stateMachine ?? (() => new RecorderStateMachine()),
    );
    this.nodes.set(id, node);
    return node;
  }

  node(id: NodeId): TestNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  core(id: NodeId): RaftCore {
    return this.node(id).core;
  }

  leader(): NodeId | undefined {
    let best: RaftCore | undefined;
    for (const n of this.nodes.values()) {
      if (!n.crashed && n.core.state === 'leader' && (!best || n.core.term > best.term)) best = n.core;
    }
    return best?.id;
  }

  // ---------------------------------------------------------------- driving

  /** Steps one message into a node, then drains its Ready. */
  stepInto(id: NodeId, m: Message): void {
    const n = this.node(id);
    if (n.crashed) return;
    n.core.step(m);
    this.processReady(n);
  }

  tick(id: NodeId, times = 1): void {
    const n = this.node(id);
    for (let i = 0; i < times && !n.crashed; i++) {
      n.core.tick();
      this.processReady(n);
    }
  }

  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) for (const id of this.nodes.keys()) this.tick(id);
  }

  /** Runs an election on `id` and delivers until quiet; it returns whether `id` won. */
  elect(id: NodeId): boolean {
    this.node(id).core.campaign();
    this.processReady(this.node(id));
    this.deliverAll();
    return this.core(id).state === 'leader';
  }

  propose(id: NodeId, value: string): void {
    this.node(id).core.propose(new Uint8Array(Buffer.from(value, 'utf8')));
    this.processReady(this.node(id));
  }

  /** Delivers the oldest queued message; returns it, or undefined if the queue was empty. */
  deliverOne(): Message | undefined {
    const m = this.queue.shift();
    if (!m) return undefined;
    if (!this.passes(m)) {
      this.dropped++;
      return m;
    }
    this.delivered++;
    const final = this.rewrites.reduce((acc, f) => f(acc), m);
    this.stepInto(final.to, final);
    return final;
  }

  /** Delivers until no message is left (bounded, so a livelock fails loudly instead of hanging). */
  deliverAll(maxMessages = 100_000): void {
    for (let i = 0; this.queue.length > 0; i++) {
      if (i >= maxMessages) throw new Error(`network did not go quiet after ${maxMessages} messages`);
      this.deliverOne();
    }
  }

  /** Drops every queued message (e.g. to lose what a node sent before a crash). */
  dropQueued(pred: (m: Message) => boolean = () => true): void {
    const keep: Message[] = [];
    for (const m of this.queue) {
      if (pred(m)) this.dropped++;
      else keep.push(m);
    }
    this.queue = keep;
  }

  /**
   * Takes a state-machine snapshot at the node's applied index and compacts
   * its log to `keepEntries` behind it, as the member does periodically.
   */
  compact(id: NodeId, keepEntries = 0): void {
    const n = this.node(id);
    const applied = n.core.log.applied;
    void n.store.createSnapshot(applied, n.core.confState(), n.sm.snapshot(), keepEntries);
  }

  // ---------------------------------------------------------------- faults

  addFilter(f: MessageFilter): void {
    this.filters.push(f);
  }

  /** Cuts both directions between every node of `a` and every node of `b`. */
  partition(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) for (const y of b) {
      this.cut.add(`${x}>${y}`);
      this.cut.add(`${y}>${x}`);
    }
  }

  isolate(id: NodeId): void {
    this.partition(
      [id],
      [...this.nodes.keys()].filter((o) => o !== id),
    );
  }

  /**
   * Rewrites messages in flight. Scenario scripts use it to shorten an
   * AppendEntries to a prefix of its entries, which is what the leader would
   * have sent with a smaller batch limit.
   */
  addRewrite(f: (m: Message) => Message): void {
    this.rewrites.push(f);
  }

  heal(): void {
    this.cut.clear();
    this.filters = [];
    this.rewrites = [];
  }

  /** Power cut on `id`: unsynced state vanishes and its queued messages never arrive. */
  crash(id: NodeId): void {
    const n = this.node(id);
    n.store.crash();
    n.crashed = true;
    this.dropQueued((m) => m.to === id || m.from === id);
  }

  restart(id: NodeId): void {
    const n = this.node(id);
    if (!n.crashed) this.crash(id);
    n.boot();
    // A restarted node has not reported anything yet; the commit floor is its durable one.
    n.maxCommit = Math.min(n.maxCommit, n.core.log.committed);
  }

  private passes(m: Message): boolean {
    if (this.cut.has(`${m.from}>${m.to}`)) return false;
    const target = this.nodes.get(m.to);
    if (!target || target.crashed) return false;
    return this.filters.every((f) => f(m));
  }

  // ---------------------------------------------------------------- ready loop

  processReady(n: TestNode): void {
    while (!n.crashed && n.core.hasReady()) {
      const rd = n.core.ready();
      n.readies.push(rd);
      for (const m of rd.earlyMessages) this.queue.push(m);
      void n.store.save({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot, sync: rd.mustSync });
      this.checkPersistedBeforeSend(n, rd);
      for (const m of rd.messages) this.queue.push(m);
      if (rd.snapshot) {
        n.sm.restore(rd.snapshot.data);
      }
      for (const e of rd.committedEntries) this.apply(n, e);
      n.readStates.push(...rd.readStates);
      if (rd.hardState) {
        if (rd.hardState.commit < n.maxCommit) {
          throw new Error(`invariant: node ${n.id} commit went back from ${n.maxCommit} to ${rd.hardState.commit}`);
        }
        n.maxCommit = rd.hardState.commit;
      }
      n.core.advance(rd);
      if (n.core.state === 'leader') {
        const prev = this.leaders.get(n.core.term);
        if (prev !== undefined && prev !== n.id) {
          throw new Error(`invariant: two leaders in term ${n.core.term}: ${prev} and ${n.id}`);
        }
        this.leaders.set(n.core.term, n.id);
      }
    }
  }

  private apply(n: TestNode, e: Entry): void {
    const key = `${e.term}:${e.type}:${Buffer.from(e.data).toString('base64')}`;
    const seen = this.appliedAt.get(e.index);
    if (seen !== undefined && seen !== key) {
      throw new Error(`invariant: node ${n.id} applied ${key} at ${e.index}, another node applied ${seen}`);
    }
    this.appliedAt.set(e.index, key);
    if (e.type === 'confChange') n.core.applyConfChange(decodeConfChange(e.data));
    n.sm.apply(e);
  }

  private checkPersistedBeforeSend(n: TestNode, rd: Ready): void {
    const hs = n.store.initialState().hardState;
    for (const m of rd.messages) {
      if (isLocalMessage(m) || m.term === 0) continue;
      const future = m.type === 'preVote' || (m.type === 'preVoteResp' && !m.reject);
      if (!future && m.term > hs.term) {
        throw new Error(`invariant: node ${n.id} sent ${m.type} in term ${m.term} with durable term ${hs.term}`);
      }
      if (m.type === 'voteResp' && !m.reject && hs.vote !== m.to) {
        throw new Error(`invariant: node ${n.id} granted a vote to ${m.to} with durable vote ${hs.vote}`);
      }
      if (m.type === 'appResp' && !m.reject && m.index > n.store.lastIndex() && m.index > n.store.snapshot().meta.index) {
        throw new Error(`invariant: node ${n.id} acked index ${m.index} beyond its durable log ${n.store.lastIndex()}`);
      }
    }
  }
}
