import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ActorSystem } from './actor-system.js';
import type { Clock, TimerHandle } from './clock.js';
import { AskTimeoutError, InvalidArgumentError } from './errors.js';
import { InvalidLinkShapeError, LinkEmulator, LinkSchedule, checkLinkShape, type LinkAdmission } from './link-emulation.js';
import { MemoryLogger } from './logger.js';
import { SeededRandom } from './random.js';
import { EnvelopeBatch, Router, type Link } from './router.js';
import type { RemoteEnvelope } from './actor-system.js';
import { WorkerLink } from './worker-link.js';

function at(admission: LinkAdmission): number {
  if (!('deliverAtMs' in admission)) throw new Error(`expected a delivery, got ${JSON.stringify(admission)}`);
  return admission.deliverAtMs;
}

function seeded(seed: number): () => number {
  const r = new SeededRandom(seed);
  return () => r.next();
}

const never = (): number => {
  throw new Error('no random draw expected');
};

describe('LinkSchedule (pure core)', () => {
  it('an empty shape delivers at once and draws no randomness', () => {
    const link = new LinkSchedule();
    expect(link.isShaped).toBe(false);
    expect(link.needsBytes).toBe(false);
    expect(at(link.admit(10, 0, never))).toBe(10);
    expect(at(link.admit(12.5, 1e6, never))).toBe(12.5);
  });

  it('adds the latency', () => {
    const link = new LinkSchedule({ latencyMs: 30 });
    expect(at(link.admit(0, 0, never))).toBe(30);
    expect(at(link.admit(100, 0, never))).toBe(130);
    expect(link.backlogMs(100)).toBe(0);
  });

  it('adds a jitter in [0, jitterMs) on top of the latency, spread over the range', () => {
    const link = new LinkSchedule({ latencyMs: 10, jitterMs: 5 });
    const rand = seeded(7);
    const extra: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const now = i * 100; // far apart: order preservation never holds one back
      extra.push(at(link.admit(now, 0, rand)) - now - 10);
    }
    expect(Math.min(...extra)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...extra)).toBeLessThan(5);
    // uniform: both ends of the range are reached
    expect(Math.min(...extra)).toBeLessThan(0.1);
    expect(Math.max(...extra)).toBeGreaterThan(4.9);
  });

  it('keeps send order under jitter: no message is delivered before the one sent before it', () => {
    const link = new LinkSchedule({ latencyMs: 1, jitterMs: 50 });
    const rand = seeded(42);
    let last = -Infinity;
    let heldBack = 0;
    for (let i = 0; i < 5000; i++) {
      const now = i * 0.1;
      const t = at(link.admit(now, 0, rand));
      expect(t).toBeGreaterThanOrEqual(last);
      expect(t).toBeGreaterThanOrEqual(now + 1);
      if (t === last) heldBack++;
      last = t;
    }
    expect(heldBack).toBeGreaterThan(0); // the jitter really would have reordered some
  });

  it('serializes messages at the bandwidth cap, each queued behind the previous transmission', () => {
    // 8 Mbit/s = 1000 bytes per ms
    const link = new LinkSchedule({ bandwidthMbps: 8, latencyMs: 5 });
    expect(link.needsBytes).toBe(true);
    expect(at(link.admit(0, 1000, never))).toBeCloseTo(1 + 5, 9); // 1 ms on the wire, then latency
    expect(link.backlogMs(0)).toBeCloseTo(1, 9);
    expect(at(link.admit(0, 2000, never))).toBeCloseTo(3 + 5, 9); // starts at 1 ms, takes 2 ms
    expect(at(link.admit(0.5, 500, never))).toBeCloseTo(3.5 + 5, 9); // starts at 3 ms
    expect(link.backlogMs(0.5)).toBeCloseTo(3, 9);
    // the link went idle: the next starts when sent
    expect(at(link.admit(100, 1000, never))).toBeCloseTo(101 + 5, 9);
    expect(link.backlogMs(200)).toBe(0);
    // 1 Mbit/s: 125 bytes per ms
    const slow = new LinkSchedule({ bandwidthMbps: 1 });
    expect(at(slow.admit(0, 1250, never))).toBeCloseTo(10, 9);
  });

  it('loses messages at the configured rate (fixed seed), and lost ones take no bandwidth', () => {
    const link = new LinkSchedule({ loss: 0.2 });
    const rand = seeded(12345);
    const n = 20000;
    let lost = 0;
    for (let i = 0; i < n; i++) {
      const fate = link.admit(i, 0, rand);
      if ('dropped' in fate) {
        expect(fate.dropped).toBe('loss');
        lost++;
      }
    }
    // binomial sd = sqrt(n·p·(1-p)) ≈ 57; allow about 5 sd
    expect(Math.abs(lost - n * 0.2)).toBeLessThan(300);

    const capped = new LinkSchedule({ loss: 0.5, bandwidthMbps: 8 });
    const r2 = seeded(1);
    let delivered = 0;
    for (let i = 0; i < 1000; i++) if (!('dropped' in capped.admit(0, 1000, r2))) delivered++;
    expect(capped.backlogMs(0)).toBeCloseTo(delivered, 6); // 1 ms per delivered message only
    expect(new LinkSchedule({ loss: 1 }).admit(0, 0, () => 0.999999)).toEqual({ dropped: 'loss' });
  });

  it('blocked drops everything without drawing randomness', () => {
    const link = new LinkSchedule({ blocked: true, latencyMs: 5, loss: 0.5 });
    for (let i = 0; i < 10; i++) expect(link.admit(i, 100, never)).toEqual({ dropped: 'blocked' });
    link.set({ latencyMs: 5 });
    expect(at(link.admit(20, 0, never))).toBe(25);
  });

  it('a property change applies to messages sent afterwards, and never reorders', () => {
    const link = new LinkSchedule({ latencyMs: 100 });
    expect(at(link.admit(0, 0, never))).toBe(100);
    link.set({ latencyMs: 10 });
    // sent later with less latency: still not before the earlier message
    expect(at(link.admit(1, 0, never))).toBe(100);
    expect(at(link.admit(200, 0, never))).toBe(210);
    link.set({});
    expect(link.isShaped).toBe(false);
    expect(at(link.admit(300, 0, never))).toBe(300);
    expect(link.shape).toEqual({});
    link.set({ latencyMs: 0, jitterMs: 0, loss: 0, bandwidthMbps: 0, blocked: false });
    expect(link.isShaped).toBe(false);
  });

  it('rejects invalid shapes with an error naming the field, and changes nothing', () => {
    const cases: [unknown, string][] = [
      [{ latencyMs: -1 }, 'latencyMs'],
      [{ jitterMs: Number.NaN }, 'jitterMs'],
      [{ bandwidthMbps: Number.POSITIVE_INFINITY }, 'bandwidthMbps'],
      [{ loss: 1.5 }, 'loss'],
      [{ loss: -0.1 }, 'loss'],
      [{ latencyMs: '5' }, 'latencyMs'],
      [{ blocked: 'yes' }, 'blocked'],
      [{ latency: 5 }, 'latency'],
    ];
    const link = new LinkSchedule({ latencyMs: 7 });
    for (const [shape, field] of cases) {
      let error: unknown;
      try {
        link.set(shape as never);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidLinkShapeError);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidLinkShapeError).field).toBe(field);
      expect((error as Error).message).toContain(field);
      expect((error as InvalidLinkShapeError).code).toBe('INVALID_ARGUMENT');
    }
    expect(link.shape).toEqual({ latencyMs: 7 });
    expect(() => new LinkSchedule({ loss: Number.NaN })).toThrow(/loss/);
    expect(checkLinkShape({ latencyMs: 0, loss: 0.1, blocked: false })).toEqual({ loss: 0.1 });
  });
});

// ---- the emulator with a manual clock and a fake link ---------------------------

class ManualClock implements Clock {
  nowMs = 0;
  timersSet = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.nowMs;
  }
  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timersSet++;
    this.timers.set(id, { at: this.nowMs + Math.max(0, delayMs), callback });
    return { id };
  }
  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }
  get pending(): number {
    return this.timers.size;
  }
  /** Moves time forward to `toMs`, firing due timers in time order. */
  advanceTo(toMs: number): void {
    for (;;) {
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= toMs && (next === undefined || entry[1].at < next[1].at)) next = entry;
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.nowMs = next[1].at;
      next[1].callback();
    }
    this.nowMs = toMs;
  }
}

class FakeLink implements Link {
  readonly sent: { atMs: number; envelope: RemoteEnvelope }[] = [];
  closed = false;
  constructor(
    readonly description: string,
    private readonly clock: ManualClock,
  ) {}
  send(envelope: RemoteEnvelope): boolean {
    if (this.closed) return false;
    this.sent.push({ atMs: this.clock.nowMs, envelope });
    return true;
  }
  close(): void {
    this.closed = true;
  }
}

function manualSetup(immediateWithinMs = 0) {
  const clock = new ManualClock();
  const system = new ActorSystem({ name: 'n1', clock, random: new SeededRandom(3), logger: new MemoryLogger() });
  const router = new Router(system);
  const n2 = new FakeLink('n2', clock);
  const n3 = new FakeLink('n3', clock);
  router.addRoute('n2', n2);
  router.addRoute('n3', n3);
  const emulator = new LinkEmulator(router, { immediateWithinMs });
  return { clock, system, router, n2, n3, emulator };
}

describe('LinkEmulator on a Router (manual clock)', () => {
  it('leaves unshaped peers alone and holds shaped ones for their latency, one timer per link', () => {
    const { clock, system, n2, n3, emulator } = manualSetup();
    emulator.set('n2', { latencyMs: 10 });
    for (let i = 0; i < 5; i++) system.send({ system: 'n2', path: 'a' }, i);
    for (let i = 0; i < 3; i++) system.send({ system: 'n3', path: 'a' }, i);
    expect(n3.sent).toHaveLength(3); // unshaped: straight through
    expect(n2.sent).toHaveLength(0);
    expect(clock.timersSet).toBe(1);
    clock.advanceTo(9.9);
    expect(n2.sent).toHaveLength(0);
    clock.advanceTo(10);
    expect(n2.sent.map((s) => s.envelope.message)).toEqual([0, 1, 2, 3, 4]);
    expect(n2.sent.every((s) => s.atMs === 10)).toBe(true);
    expect(emulator.stats().n2).toMatchObject({ sent: 5, delivered: 5, queued: 0, dropped: { loss: 0, blocked: 0 } });
    expect(emulator.stats().n3).toBeUndefined();
  });

  it('shapes a worker of the peer through the peer\'s link, and relayed envelopes too', () => {
    const { clock, router, n2, emulator } = manualSetup();
    emulator.set('n2', { latencyMs: 5 });
    router.receive({ to: { system: 'n2.w1', path: 'x' }, sender: { system: 'n3', path: 'y' }, message: 'relayed' });
    expect(n2.sent).toHaveLength(0);
    clock.advanceTo(5);
    expect(n2.sent.map((s) => s.envelope.to.system)).toEqual(['n2.w1']);
  });

  it('keeps order when jitter is set and when the latency drops, with one timer at a time', () => {
    const { clock, system, n2, emulator } = manualSetup();
    emulator.set('n2', { latencyMs: 20, jitterMs: 15 });
    let t = 0;
    for (let i = 0; i < 200; i++) {
      if (i === 100) emulator.set('n2', { latencyMs: 1 });
      clock.advanceTo((t += 0.25));
      system.send({ system: 'n2', path: 'a' }, i);
      expect(clock.pending).toBeLessThanOrEqual(1);
    }
    clock.advanceTo(1000);
    expect(n2.sent.map((s) => s.envelope.message)).toEqual([...Array(200).keys()]);
    const times = n2.sent.map((s) => s.atMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[0]).toBeGreaterThanOrEqual(20.25);
  });

  it('charges the encoded size against the bandwidth cap, only when a cap is set', () => {
    const { clock, system, n2, emulator } = manualSetup();
    const message = 'x'.repeat(10_000);
    const one = new EnvelopeBatch();
    one.push({ to: { system: 'n2', path: 'a' }, sender: undefined, message });
    const size = one.take().length;
    emulator.set('n2', { latencyMs: 1 });
    system.send({ system: 'n2', path: 'a' }, message);
    expect(emulator.stats().n2!.bytes).toBe(0); // no cap: not measured
    emulator.set('n2', { bandwidthMbps: 8 }); // 1000 bytes per ms
    clock.advanceTo(100);
    system.send({ system: 'n2', path: 'a' }, message);
    system.send({ system: 'n2', path: 'a' }, message);
    expect(emulator.stats().n2!.bytes).toBe(2 * size);
    expect(emulator.stats().n2!.queueDelayMs).toBeCloseTo((2 * size) / 1000, 6);
    clock.advanceTo(200);
    const [, first, second] = n2.sent;
    expect(first!.atMs).toBeCloseTo(100 + size / 1000, 6);
    expect(second!.atMs).toBeCloseTo(100 + (2 * size) / 1000, 6);
  });

  it('loss and blocked lose messages silently: no dead letter, the ask times out, the stats count them', async () => {
    const { clock, system, n2, emulator } = manualSetup();
    emulator.set('n2', { loss: 1 });
    const lost = system.ask({ system: 'n2', path: 'a' }, 'q', 50).catch((e: unknown) => e);
    emulator.set('n2', { blocked: true });
    system.send({ system: 'n2', path: 'a' }, 'cut');
    clock.advanceTo(49);
    expect(system.stats().pendingAsks).toBe(1);
    clock.advanceTo(50);
    expect(await lost).toBeInstanceOf(AskTimeoutError);
    expect(n2.sent).toHaveLength(0);
    expect(system.deadLetters.total).toBe(0);
    expect(emulator.stats().n2).toMatchObject({ sent: 2, delivered: 0, dropped: { loss: 1, blocked: 1 } });
    emulator.clear();
    system.send({ system: 'n2', path: 'a' }, 'healed');
    expect(n2.sent.map((s) => s.envelope.message)).toEqual(['healed']);
  });

  it('a held envelope whose link is gone when due is dead-lettered and its ask fails at once', async () => {
    const { clock, system, router, n2, emulator } = manualSetup();
    emulator.set('n2', { latencyMs: 10 });
    const ask = system.ask({ system: 'n2', path: 'a' }, 'q', 10_000).catch((e: unknown) => e);
    system.send({ system: 'n2', path: 'a' }, 'tell');
    router.removeRoute('n2');
    clock.advanceTo(10);
    expect(system.stats().pendingAsks).toBe(0); // failed at once, not left to time out
    const error = await ask;
    expect((error as { code?: string }).code).toBe('UNREACHABLE');
    expect(system.deadLetters.byReason.unreachable).toBe(2);
    expect(n2.sent).toHaveLength(0);
    expect(emulator.stats().n2).toMatchObject({ sent: 2, refused: 2, delivered: 0 });
    // with no route at send time Router.send refuses as before, untouched by the emulator
    system.send({ system: 'n2', path: 'a' }, 'late');
    expect(system.deadLetters.byReason.unreachable).toBe(3);
    expect(emulator.stats().n2!.sent).toBe(2);
  });

  it('a relayed ask refused when due sends its failure back over the shaped link, one timer at a time', () => {
    const { clock, router, system, emulator } = manualSetup();
    const picky = new FakeLink('n2 (refuses path x)', clock);
    const send = picky.send.bind(picky);
    picky.send = (envelope) => envelope.to.path !== 'x' && send(envelope);
    router.addRoute('n2', picky);
    emulator.set('n2', { latencyMs: 10 });
    router.receive({ to: { system: 'n2.w9', path: 'x' }, sender: { system: 'n2', path: '$ask/1' }, message: 'q' });
    clock.advanceTo(10);
    expect(system.deadLetters.byReason.unreachable).toBe(1);
    expect(picky.sent).toHaveLength(0);
    expect(clock.pending).toBe(1); // the failure, held on the same link
    clock.advanceTo(20);
    expect(picky.sent).toHaveLength(1);
    expect(picky.sent[0]!.envelope).toMatchObject({ to: { system: 'n2', path: '$ask/1' }, failure: { code: 'UNREACHABLE' } });
    expect(clock.pending).toBe(0);
    expect(emulator.stats().n2).toMatchObject({ sent: 2, refused: 1, delivered: 1 });
  });

  it('a held envelope goes over the route in force when it is due (a replaced link)', () => {
    const { clock, system, router, emulator } = manualSetup();
    emulator.set('n2', { latencyMs: 10 });
    system.send({ system: 'n2', path: 'a' }, 'm');
    const replacement = new FakeLink('n2 again', clock);
    router.addRoute('n2', replacement);
    clock.advanceTo(10);
    expect(replacement.sent.map((s) => s.envelope.message)).toEqual(['m']);
  });

  it('removing a shape keeps later messages behind the held ones, then goes back to the fast path', () => {
    const { clock, system, n2, emulator } = manualSetup();
    emulator.set('n2', { latencyMs: 10 });
    system.send({ system: 'n2', path: 'a' }, 1);
    emulator.set('n2', undefined);
    system.send({ system: 'n2', path: 'a' }, 2);
    expect(n2.sent).toHaveLength(0); // would overtake 1 otherwise
    clock.advanceTo(10);
    expect(n2.sent.map((s) => s.envelope.message)).toEqual([1, 2]);
    system.send({ system: 'n2', path: 'a' }, 3);
    expect(n2.sent.map((s) => s.envelope.message)).toEqual([1, 2, 3]);
    expect(emulator.shapes()).toEqual({});
  });

  it('delivers a due time within immediateWithinMs at once, without a timer', () => {
    const { clock, system, n2, emulator } = manualSetup(0.5);
    emulator.set('n2', { latencyMs: 0.03 });
    system.send({ system: 'n2', path: 'a' }, 'now');
    expect(n2.sent).toHaveLength(1);
    expect(clock.timersSet).toBe(0);
    emulator.set('n2', { latencyMs: 2 });
    system.send({ system: 'n2', path: 'a' }, 'later');
    expect(clock.timersSet).toBe(1);
    clock.advanceTo(1.6); // within 0.5 ms of due: a timer firing then delivers it
    expect(n2.sent).toHaveLength(1);
    clock.advanceTo(2);
    expect(n2.sent).toHaveLength(2);
  });

  it('hooks into the router only while some link is shaped or holds messages', () => {
    const { clock, system, router, emulator } = manualSetup();
    expect(router.currentShaper).toBeUndefined();
    emulator.set('n2', { latencyMs: 10 });
    expect(router.currentShaper).toBe(emulator);
    system.send({ system: 'n2', path: 'a' }, 1);
    emulator.clear();
    expect(router.currentShaper).toBe(emulator); // still holds 1
    clock.advanceTo(10);
    expect(router.currentShaper).toBeUndefined();
    expect(() => new LinkEmulator(router)).toThrow(/already has a link emulator/);
  });

  it('validates peers and shapes before changing anything', () => {
    const { emulator } = manualSetup();
    emulator.set('n2', { latencyMs: 3 });
    expect(() => emulator.setMany({ n3: { latencyMs: 1 }, n4: { loss: 2 } })).toThrow(/loss/);
    expect(emulator.shapes()).toEqual({ n2: { latencyMs: 3 } });
    expect(() => emulator.set('n2.w1', { latencyMs: 1 })).toThrow(InvalidLinkShapeError);
    expect(() => emulator.set('n1', { latencyMs: 1 })).toThrow(/this host/);
    emulator.setMany({ n3: { latencyMs: 1 }, n2: undefined });
    expect(emulator.shapes()).toEqual({ n3: { latencyMs: 1 } });
    expect(emulator.get('n2')).toEqual({});
  });

  it('Router.close closes the emulator: timers stopped, held messages discarded', () => {
    const { clock, system, router, n2, emulator } = manualSetup();
    emulator.set('n2', { latencyMs: 10 });
    system.send({ system: 'n2', path: 'a' }, 1);
    router.close();
    expect(clock.pending).toBe(0);
    expect(router.currentShaper).toBeUndefined();
    clock.advanceTo(100);
    expect(n2.sent).toHaveLength(0);
    expect(emulator.stats().n2).toMatchObject({ sent: 1, discarded: 1, queued: 0 });
  });
});

// ---- two real actor systems over a real link --------------------------------------

describe('LinkEmulator between two actor systems over a MessageChannel', () => {
  let routers: Router[] = [];
  afterEach(() => {
    for (const router of routers) router.close();
    routers = [];
  });

  function connected() {
    const a = new ActorSystem({ name: 'a', logger: new MemoryLogger() });
    const b = new ActorSystem({ name: 'b', logger: new MemoryLogger() });
    const ra = new Router(a);
    const rb = new Router(b);
    routers.push(ra, rb);
    const channel = new MessageChannel();
    ra.addRoute('b', new WorkerLink(ra, channel.port1, 'to b'));
    rb.addRoute('a', new WorkerLink(rb, channel.port2, 'to a'));
    b.spawn({ create: () => ({ receive: (m, ctx) => ctx.reply(m) }) }, 'echo');
    const echo = a.ref({ system: 'b', path: 'echo' });
    return { a, b, ra, rb, echo, ea: new LinkEmulator(ra), eb: new LinkEmulator(rb) };
  }

  it('an ask round trip takes at least twice the latency', async () => {
    const { echo, ea, eb } = connected();
    await expect(echo.ask('warm-up', { timeoutMs: 5000 })).resolves.toBe('warm-up');
    const latencyMs = 40;
    ea.set('b', { latencyMs });
    eb.set('a', { latencyMs });
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await expect(echo.ask(i, { timeoutMs: 10_000 })).resolves.toBe(i);
      // each direction may be handed over up to immediateWithinMs (0.5) early
      expect(performance.now() - started).toBeGreaterThanOrEqual(2 * latencyMs - 1);
    }
    expect(ea.stats().b).toMatchObject({ sent: 3, delivered: 3 });
    expect(eb.stats().a).toMatchObject({ sent: 3, delivered: 3 });
  });

  it('loss = 1 makes an ask time out; clearing the shape restores delivery', async () => {
    const { a, echo, ea } = connected();
    ea.set('b', { loss: 1 });
    const error = await echo.ask('lost', { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AskTimeoutError);
    expect(a.deadLetters.total).toBe(0);
    expect(ea.stats().b).toMatchObject({ sent: 1, delivered: 0, dropped: { loss: 1, blocked: 0 } });
    ea.clear();
    await expect(echo.ask('back', { timeoutMs: 5000 })).resolves.toBe('back');
    ea.set('b', { blocked: true });
    await expect(echo.ask('cut', { timeoutMs: 100 })).rejects.toBeInstanceOf(AskTimeoutError);
    ea.set('b', undefined);
    await expect(echo.ask('healed', { timeoutMs: 5000 })).resolves.toBe('healed');
    expect(ea.stats().b).toMatchObject({ dropped: { loss: 1, blocked: 1 } });
  });

  it('counts bytes and keeps order under jitter and a bandwidth cap', async () => {
    const { b, echo, ea, a } = connected();
    const got: number[] = [];
    b.spawn({ create: () => ({ receive: (m: number) => void got.push(m) }) }, 'sink');
    ea.set('b', { latencyMs: 2, jitterMs: 20, bandwidthMbps: 100 });
    for (let i = 0; i < 100; i++) a.send({ system: 'b', path: 'sink' }, i);
    await expect(echo.ask('after', { timeoutMs: 10_000 })).resolves.toBe('after');
    expect(got).toEqual([...Array(100).keys()]);
    const stats = ea.stats().b!;
    expect(stats).toMatchObject({ sent: 101, delivered: 101, queued: 0 });
    expect(stats.bytes).toBeGreaterThan(101 * 10);
  });
});
