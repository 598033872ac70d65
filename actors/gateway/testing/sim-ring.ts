import type { ActorRef } from '../../../runtime/actor-ref.js';
import type { Simulation } from '../../../runtime/sim/index.js';
import type { GatewayTuning } from '../defaults.js';
import { GatewayActor } from '../gateway-actor.js';
import type { GatewayMessage, GroupRequest, LeaveReply } from '../messages.js';
import type { RangeListener } from '../range-hooks.js';
import { addPowerOfTwo, ringId, type RingId } from '../ring-id.js';

export const GATEWAY_PATH = 'gateway';

export interface SimRingOptions {
  tuning?: Partial<GatewayTuning>;
  listenerFor?: (name: string) => RangeListener | undefined;
  /** Spawn a group actor beside each gateway (path 'group') answering global requests with its node name. */
  groups?: boolean;
}

/**
 * Gateways on simulated nodes, one per node (actor 'gateway'), with a handle
 * on each live actor instance so tests can check ring state synchronously
 * between simulation events. A crashed gateway is gone for good (its node is
 * never restarted), as a failed Chord node.
 */
export class SimRing {
  readonly actors = new Map<string, GatewayActor>();
  readonly crashed = new Set<string>();
  readonly left = new Set<string>();
  readonly groupRequests: Array<{ node: string; request: GroupRequest }> = [];

  constructor(
    readonly sim: Simulation,
    readonly options: SimRingOptions = {},
  ) {}

  /** Adds a gateway node; with `bootstrap` it joins through that gateway, else it creates the ring. */
  add(name: string, bootstrap?: string | readonly string[]): void {
    const seeds = bootstrap === undefined ? [] : typeof bootstrap === 'string' ? [bootstrap] : [...bootstrap];
    this.sim.addNode(name, (node) => {
      const group = this.options.groups
        ? node.system.spawn<GroupRequest>(
            {
              create: () => ({
                receive: (request, ctx) => {
                  this.groupRequests.push({ node: name, request });
                  ctx.reply({ servedBy: name, keyId: request.keyId });
                },
              }),
            },
            'group',
          )
        : undefined;
      const listener = this.options.listenerFor?.(name);
      node.system.spawn<GatewayMessage>(
        {
          create: () => {
            const actor = new GatewayActor({
              name,
              ...(seeds.length > 0 ? { bootstrap: seeds.map((s) => node.system.ref<GatewayMessage>({ system: s, path: GATEWAY_PATH })) } : {}),
              ...(group !== undefined ? { group } : {}),
              ...(listener !== undefined ? { listener } : {}),
              ...(this.options.tuning !== undefined ? { tuning: this.options.tuning } : {}),
            });
            this.actors.set(name, actor);
            return actor as never;
          },
        },
        GATEWAY_PATH,
      );
    });
  }

  crash(name: string): void {
    this.sim.crash(name);
    this.crashed.add(name);
    this.actors.delete(name);
  }

  /** Asks `name` to leave gracefully and runs the simulation until it answers. */
  async leave(name: string, timeoutMs = 120_000): Promise<LeaveReply> {
    const reply = await this.ask<LeaveReply>(name, this.ref(name), { kind: 'leave' }, timeoutMs);
    if (reply.kind === 'left') {
      this.left.add(name);
      this.actors.delete(name);
    }
    return reply;
  }

  /** Starts a graceful leave without waiting; the gateway counts as gone once it answers 'left'. */
  startLeave(name: string, onReply?: (reply: LeaveReply | undefined) => void): void {
    this.ref(name)
      .ask<LeaveReply>({ kind: 'leave' }, { timeoutMs: 600_000 })
      .then(
        (reply) => {
          if (reply.kind === 'left') {
            this.left.add(name);
            this.actors.delete(name);
          }
          onReply?.(reply);
        },
        () => onReply?.(undefined),
      );
  }

  /** A ref to `target`'s gateway, held by node `via`. */
  ref(via: string, target: string = via): ActorRef<GatewayMessage> {
    return this.sim.node(via)!.system.ref<GatewayMessage>({ system: target, path: GATEWAY_PATH });
  }

  /** Gateways that are up and have not left, serving or not. */
  live(): string[] {
    return [...this.actors.keys()].filter((n) => !this.crashed.has(n) && !this.left.has(n) && this.sim.isUp(n));
  }

  /** Live serving gateways sorted by ring id. */
  ring(): Array<{ name: string; id: RingId; actor: GatewayActor }> {
    return this.live()
      .map((name) => ({ name, id: this.actors.get(name)!.id, actor: this.actors.get(name)! }))
      .filter((g) => g.actor.status().state === 'serving')
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The true owner of `key` among live serving gateways: the smallest id ≥ key, wrapping. */
  trueOwner(key: RingId): string {
    const ring = this.ring();
    return (ring.find((g) => g.id >= key) ?? ring[0]!).name;
  }

  /**
   * Stabilized: every live gateway serves, and each one's predecessor, and
   * successor list (min(r, n-1) entries), are exactly its live neighbours.
   */
  isStable(r: number): boolean {
    const live = this.live();
    const ring = this.ring();
    if (ring.length !== live.length || ring.length === 0) return false;
    const n = ring.length;
    for (let i = 0; i < n; i++) {
      const s = ring[i]!.actor.status();
      const pred = n === 1 ? undefined : ring[(i - 1 + n) % n]!.id;
      if (s.predecessor?.id !== pred) return false;
      const want = Math.min(r, n - 1);
      if (s.successors.length !== want) return false;
      for (let k = 0; k < want; k++) if (s.successors[k]!.id !== ring[(i + k + 1) % n]!.id) return false;
    }
    return true;
  }

  /** Every finger of every serving gateway is the true successor of its start (what fix_fingers converges to). */
  fingersCorrect(): boolean {
    const ring = this.ring();
    if (ring.length === 0) return false;
    const ids = ring.map((g) => g.id);
    const owner = (key: RingId): RingId => {
      let lo = 0;
      let hi = ids.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ids[mid]! < key) lo = mid + 1;
        else hi = mid;
      }
      return ids[lo === ids.length ? 0 : lo]!;
    };
    for (const g of ring) {
      const fingers = g.actor.status().fingers;
      for (let i = 0; i < fingers.length; i++) {
        if (fingers[i] !== owner(addPowerOfTwo(g.id, i))) return false;
      }
    }
    return true;
  }

  /** Runs the simulation in `stepMs` slices until `done()` holds (for predicates too costly to test after every event). */
  async runUntilChecked(done: () => boolean, stepMs: number, maxMs: number): Promise<boolean> {
    for (let t = 0; t < maxMs; t += stepMs) {
      if (done()) return true;
      await this.sim.runFor(stepMs);
    }
    return done();
  }

  /** Asks from node `via` and runs the simulation until the answer (or the ask's timeout). */
  async ask<T>(via: string, target: ActorRef<GatewayMessage>, message: GatewayMessage, timeoutMs: number): Promise<T> {
    let outcome: { ok: T } | { error: unknown } | undefined;
    target.ask<T>(message, { timeoutMs }).then(
      (ok) => (outcome = { ok }),
      (error: unknown) => (outcome = { error }),
    );
    await this.sim.runUntil(() => outcome !== undefined, timeoutMs + 1_000);
    if (outcome === undefined) throw new Error(`no answer from ${target} within ${timeoutMs} ms (asked via ${via})`);
    if ('error' in outcome) throw outcome.error;
    return outcome.ok;
  }

  /** Key ids for tests: SHA-1 of `${prefix}-${i}`. */
  static keys(prefix: string, count: number): Array<{ bytes: Uint8Array; id: RingId }> {
    return Array.from({ length: count }, (_, i) => {
      const bytes = new TextEncoder().encode(`${prefix}-${i}`);
      return { bytes, id: ringId(bytes) };
    });
  }
}
