import { describe, expect, it } from 'vitest';
import { Simulation } from './sim/index.js';
import {
  ActorNotFoundError,
  ActorSystem,
  AskTimeoutError,
  MailboxFullError,
  MemoryLogger,
  type Actor,
  type ActorContext,
} from './index.js';

const tick = () => new Promise((r) => setTimeout(r, 0));

function system(name = 'test'): { sys: ActorSystem; log: MemoryLogger } {
  const log = new MemoryLogger();
  return { sys: new ActorSystem({ name, logger: log }), log };
}

class Collector implements Actor<unknown> {
  constructor(readonly seen: unknown[]) {}
  receive(message: unknown): void {
    this.seen.push(message);
  }
}

describe('tell and ask', () => {
  it('delivers tells in FIFO order per sender', async () => {
    const { sys } = system();
    const seen: unknown[] = [];
    const ref = sys.spawn({ create: () => new Collector(seen) }, 'c');
    for (let i = 0; i < 1000; i++) ref.tell(i);
    await tick();
    expect(seen).toEqual([...Array(1000).keys()]);
  });

  it('answers an ask through context.reply', async () => {
    const { sys } = system();
    const echo = sys.spawn<{ n: number }>({ create: () => ({ receive: (m, ctx) => ctx.reply(m.n * 2) }) }, 'echo');
    await expect(echo.ask({ n: 21 }, { timeoutMs: 1000 })).resolves.toBe(42);
  });

  it('fails an unanswered ask with AskTimeoutError', async () => {
    const { sys } = system();
    const mute = sys.spawn({ create: () => ({ receive: () => undefined }) }, 'mute');
    const err = await mute.ask('hello', { timeoutMs: 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AskTimeoutError);
    expect(sys.stats().pendingAsks).toBe(0);
  });

  it('rejects an ask without a positive timeout', async () => {
    const { sys } = system();
    const a = sys.spawn({ create: () => ({ receive: () => undefined }) }, 'a');
    await expect(a.ask('x', { timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
  });

  it('fails an ask to an unknown actor at once with ActorNotFoundError', async () => {
    const { sys } = system();
    await expect(sys.ref('nobody').ask('x', { timeoutMs: 5000 })).rejects.toBeInstanceOf(ActorNotFoundError);
    expect(sys.deadLetters.byReason['no-such-actor']).toBe(1);
  });

  it('handles one message at a time even when receive is async', async () => {
    const { sys } = system();
    let active = 0;
    let maxActive = 0;
    const done: number[] = [];
    const ref = sys.spawn<number>(
      {
        create: () => ({
          async receive(n) {
            active++;
            maxActive = Math.max(maxActive, active);
            await tick();
            done.push(n);
            active--;
          },
        }),
      },
      'slow',
    );
    for (let i = 0; i < 5; i++) ref.tell(i);
    await new Promise((r) => setTimeout(r, 50));
    expect(maxActive).toBe(1);
    expect(done).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('bounded mailboxes', () => {
  it('reject policy: the local teller gets MailboxFullError and nothing is queued', () => {
    const { sys } = system();
    const ref = sys.spawn({ create: () => new Collector([]), mailbox: { capacity: 2, overflow: 'reject' } }, 'small');
    ref.tell(1);
    ref.tell(2);
    expect(() => ref.tell(3)).toThrow(MailboxFullError);
    expect(sys.deadLetters.byReason['mailbox-full']).toBe(1);
  });

  it('reject policy: an ask to a full mailbox fails with MailboxFullError', async () => {
    const { sys } = system();
    const ref = sys.spawn({ create: () => new Collector([]), mailbox: { capacity: 1, overflow: 'reject' } }, 'small');
    ref.tell(1);
    await expect(ref.ask(2, { timeoutMs: 1000 })).rejects.toBeInstanceOf(MailboxFullError);
  });

  it('drop-oldest policy: keeps the newest messages and dead-letters the oldest', async () => {
    const { sys } = system();
    const seen: unknown[] = [];
    const ref = sys.spawn({ create: () => new Collector(seen), mailbox: { capacity: 3, overflow: 'drop-oldest' } }, 'd');
    for (let i = 0; i < 5; i++) ref.tell(i);
    await tick();
    expect(seen).toEqual([2, 3, 4]);
    expect(sys.deadLetters.byReason['dropped-oldest']).toBe(2);
    expect(sys.deadLetters.recent.map((d) => d.message)).toEqual([0, 1]);
  });
});

describe('supervision', () => {
  class Flaky implements Actor<string> {
    static instances = 0;
    constructor(readonly seen: string[]) {
      Flaky.instances++;
    }
    receive(m: string): void {
      if (m === 'boom') throw new Error('boom');
      this.seen.push(m);
    }
  }

  it('restarts a failing child with a fresh instance and keeps its mailbox', async () => {
    const { sys, log } = system();
    const seen: string[] = [];
    Flaky.instances = 0;
    const ref = sys.spawn({ create: () => new Flaky(seen) }, 'flaky');
    ref.tell('a');
    ref.tell('boom');
    ref.tell('b');
    await tick();
    expect(seen).toEqual(['a', 'b']);
    expect(Flaky.instances).toBe(2);
    expect(log.find('actor restarted')).toHaveLength(1);
  });

  it('stops the child once the restart budget is spent', async () => {
    const log = new MemoryLogger();
    const sys = new ActorSystem({
      name: 'budget',
      logger: log,
      guardianStrategy: { maxRestarts: 2, withinMs: 60_000, decide: () => 'restart' },
    });
    const ref = sys.spawn({ create: () => new Flaky([]) }, 'flaky');
    for (let i = 0; i < 3; i++) ref.tell('boom');
    ref.tell('after');
    await tick();
    expect(log.find('actor restarted')).toHaveLength(2);
    expect(log.find('restart budget exhausted; actor stopped')).toHaveLength(1);
    expect(sys.has('flaky')).toBe(false);
    expect(sys.deadLetters.byReason.stopped).toBe(1);
  });

  it('resume keeps the same instance; stop ends the actor', async () => {
    const { sys } = system();
    const seenResume: string[] = [];
    const parent = sys.spawn<string>(
      {
        create: () => ({
          receive(m, ctx) {
            if (m === 'spawn') {
              ctx.spawn({ create: () => new Flaky(seenResume) }, 'resumer');
            }
          },
        }),
        supervisor: { maxRestarts: 1, withinMs: 1000, decide: (e) => ((e as Error).message === 'boom' ? 'resume' : 'stop') },
      },
      'parent',
    );
    Flaky.instances = 0;
    parent.tell('spawn');
    await tick();
    const child = sys.ref<string>('parent/resumer');
    child.tell('x');
    child.tell('boom');
    child.tell('y');
    await tick();
    expect(seenResume).toEqual(['x', 'y']);
    expect(Flaky.instances).toBe(1);
  });

  it('escalate fails the parent, whose own supervisor restarts it (stopping its children)', async () => {
    const { sys, log } = system();
    let parentStarts = 0;
    const parent = sys.spawn<string>(
      {
        create: () => ({
          preStart(ctx: ActorContext<string>) {
            parentStarts++;
            ctx.spawn({ create: () => new Flaky([]) }, 'kid');
          },
          receive() {},
        }),
        supervisor: { maxRestarts: 5, withinMs: 1000, decide: () => 'escalate' },
      },
      'p',
    );
    await tick();
    sys.ref<string>('p/kid').tell('boom');
    await tick();
    expect(parentStarts).toBe(2);
    expect(sys.has('p/kid')).toBe(true); // re-created by the new parent instance
    expect(log.find('actor restarted').map((r) => r.fields.actor)).toEqual(['p']);
    expect(parent.address.path).toBe('p');
  });
});

describe('dead letters and stop', () => {
  it('counts messages to stopped actors and publishes them to subscribers', async () => {
    const { sys } = system();
    const got: unknown[] = [];
    sys.deadLetters.subscribe((d) => got.push(d.message));
    const ref = sys.spawn({ create: () => new Collector([]) }, 'x');
    sys.stop(ref);
    ref.tell('late');
    expect(got).toEqual(['late']);
    expect(sys.deadLetters.total).toBe(1);
  });

  it('stopping a parent stops its children and calls postStop', async () => {
    const { sys } = system();
    const stopped: string[] = [];
    const parent = sys.spawn<string>(
      {
        create: () => ({
          preStart(ctx: ActorContext<string>) {
            ctx.spawn({ create: () => ({ receive() {}, postStop: () => stopped.push('child') }) }, 'c');
          },
          receive() {},
          postStop: () => stopped.push('parent'),
        }),
      },
      'p',
    );
    sys.stop(parent);
    expect(stopped).toEqual(['child', 'parent']);
    expect(sys.stats().actors).toBe(0);
  });
});

describe('timers', () => {
  it('fires keyed timers through the system clock and cancels them', async () => {
    // Virtual time: the test cannot depend on how loaded the machine is.
    const sim = new Simulation({ seed: 1 });
    const seen: string[] = [];
    const node = sim.addNode('t', (n) => {
      n.system.spawn<string>(
        {
          create: () => ({
            receive(m, ctx) {
              if (m === 'start') {
                ctx.startTimer('a', 5, 'fired-a');
                ctx.startTimer('b', 5, 'fired-b');
                ctx.cancelTimer('b');
                ctx.startTimer('r', 2, 'repeat', { repeat: true });
              } else if (m === 'repeat') {
                seen.push(`${m}@${ctx.clock.now()}`);
                if (seen.filter((s) => s.startsWith('repeat')).length === 3) ctx.cancelTimer('r');
              } else seen.push(`${m}@${ctx.clock.now()}`);
            },
          }),
        },
        't',
      );
    });
    node.system.ref<string>('t').tell('start');
    await sim.runFor(100);
    expect(seen).toEqual(['repeat@2', 'repeat@4', 'fired-a@5', 'repeat@6']);
  });

  it('a restart cancels the timers of the failed instance', async () => {
    const sim = new Simulation({ seed: 1 });
    const seen: string[] = [];
    const node = sim.addNode('t', (n) => {
      n.system.spawn<string>(
        {
          create: () => ({
            receive(m, ctx) {
              if (m === 'arm') ctx.startTimer('x', 10, 'late');
              else if (m === 'boom') throw new Error('boom');
              else seen.push(m);
            },
          }),
        },
        't',
      );
    });
    const ref = node.system.ref<string>('t');
    ref.tell('arm');
    ref.tell('boom');
    await sim.runFor(50);
    expect(seen).toEqual([]);
  });
});

describe('lifecycle details', () => {
  it('an actor may message itself from preStart', async () => {
    const { sys } = system();
    const seen: string[] = [];
    sys.spawn<string>(
      {
        create: () => ({
          preStart(ctx: ActorContext<string>) {
            ctx.self.tell('hello from preStart');
          },
          receive: (m) => void seen.push(m),
        }),
      },
      'self-teller',
    );
    await tick();
    expect(seen).toEqual(['hello from preStart']);
    expect(sys.deadLetters.total).toBe(0);
  });

  it('halt: actors cease at once, without postStop, and nothing is delivered afterwards', async () => {
    const { sys } = system();
    const seen: string[] = [];
    let postStops = 0;
    const ref = sys.spawn<string>({ create: () => ({ receive: (m) => void seen.push(m), postStop: () => void postStops++ }) }, 'a');
    ref.tell('queued before the crash');
    sys.halt();
    ref.tell('after the crash');
    await tick();
    expect(seen).toEqual([]);
    expect(postStops).toBe(0);
    expect(sys.stats().actors).toBe(0);
  });
});
