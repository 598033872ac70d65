import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode } from './codec.js';
import { ActorSystem, CorruptionError, MemoryLogger, type RemoteEnvelope } from './index.js';
import { decodeBatch, EnvelopeBatch, Router, type Link } from './router.js';

class FakeLink implements Link {
  readonly sent: RemoteEnvelope[] = [];
  closed = false;
  constructor(readonly description: string) {}
  send(envelope: RemoteEnvelope): boolean {
    if (this.closed) return false;
    this.sent.push(envelope);
    return true;
  }
  close(): void {
    this.closed = true;
  }
}

function setup(name = 'n1') {
  const system = new ActorSystem({ name, logger: new MemoryLogger() });
  return { system, router: new Router(system) };
}

describe('Router', () => {
  it('looks up the exact name, then each dotted prefix from the longest, then the default', () => {
    const { router } = setup();
    const n2 = new FakeLink('n2');
    const n2w1 = new FakeLink('n2.w1');
    const fallback = new FakeLink('default');
    router.addRoute('n2', n2);
    router.addRoute('n2.w1', n2w1);
    expect(router.routeFor('n2')).toBe(n2);
    expect(router.routeFor('n2.w1.x')).toBe(n2w1);
    expect(router.routeFor('n2.w2')).toBe(n2);
    expect(router.routeFor('n3')).toBeUndefined();
    expect(router.routeFor('n22')).toBeUndefined();
    router.setDefault(fallback);
    expect(router.routeFor('n3')).toBe(fallback);
  });

  it('never sends a name below its own system to the default route (it would come straight back)', () => {
    const { router } = setup('main.w1');
    router.setDefault(new FakeLink('parent'));
    const child = new FakeLink('main.w1.x');
    router.addRoute('main.w1.x', child);
    expect(router.routeFor('main.w1.nope')).toBeUndefined();
    expect(router.routeFor('main.w1.x.y')).toBe(child);
    expect(router.routeFor('main.w2')?.description).toBe('parent');
  });

  it('falls back to an older link to the same system when the newest goes away', () => {
    const { router } = setup();
    const first = new FakeLink('first');
    const second = new FakeLink('second');
    router.addRoute('n2', first);
    router.addRoute('n2', second);
    expect(router.routeFor('n2')).toBe(second);
    router.removeRoute('n2', first); // not the active one: nothing changes
    expect(router.routeFor('n2')).toBe(second);
    router.addRoute('n2', first);
    router.removeRoute('n2', first);
    expect(router.routeFor('n2')).toBe(second);
    router.removeRoute('n2', second);
    expect(router.routeFor('n2')).toBeUndefined();
  });

  it('sends a tell for another system through its link, and never routes its own name', async () => {
    const { system, router } = setup();
    const link = new FakeLink('n2');
    router.addRoute('n2', link);
    router.setDefault(new FakeLink('default'));
    system.ref({ system: 'n2', path: 'a' }).tell('hi', system.ref('me'));
    expect(link.sent).toEqual([{ to: { system: 'n2', path: 'a' }, sender: { system: 'n1', path: 'me' }, message: 'hi' }]);
    expect(router.send({ to: { system: 'n1', path: 'x' }, message: 1 })).toBe(false);
  });

  it('relays envelopes for other systems and delivers its own', async () => {
    const { system, router } = setup();
    const onward = new FakeLink('n3');
    router.addRoute('n3', onward);
    const seen: unknown[] = [];
    system.spawn({ create: () => ({ receive: (m) => void seen.push(m) }) }, 'inbox');
    router.receive({ to: { system: 'n1', path: 'inbox' }, message: 'mine' });
    router.receive({ to: { system: 'n3', path: 'x' }, sender: { system: 'n2', path: 'y' }, message: 'theirs' });
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual(['mine']);
    expect(onward.sent.map((e) => e.message)).toEqual(['theirs']);
    expect(router.stats()).toMatchObject({ forwarded: 1, delivered: 1 });
  });

  it('answers a relayed ask it cannot route with a failure envelope back to the asker', () => {
    const { system, router } = setup();
    const back = new FakeLink('n2');
    router.addRoute('n2', back);
    router.receive({ to: { system: 'nowhere', path: 'x' }, sender: { system: 'n2', path: '$ask/7' }, message: 'q' });
    expect(system.deadLetters.byReason.unreachable).toBe(1);
    expect(back.sent).toHaveLength(1);
    expect(back.sent[0]!.to).toEqual({ system: 'n2', path: '$ask/7' });
    expect(back.sent[0]!.failure?.code).toBe('UNREACHABLE');
  });

  it('close closes every link once', () => {
    const { router } = setup();
    const a = new FakeLink('a');
    router.addRoute('x', a);
    router.addRoute('y', a);
    router.setDefault(a);
    router.close();
    expect(a.closed).toBe(true);
    expect(router.routeFor('x')).toBeUndefined();
  });
});

describe('envelope batches', () => {
  it('round-trip in order, with senders, failures and undefined messages', () => {
    const { system } = setup();
    const batch = new EnvelopeBatch();
    const envelopes: RemoteEnvelope[] = [
      { to: { system: 'n1', path: 'a' }, sender: undefined, message: { x: 1 } },
      { to: { system: 'n1', path: 'b' }, sender: { system: 'n2', path: 'c' }, message: undefined },
      { to: { system: 'n1', path: '$ask/1' }, sender: { system: 'n2', path: 'd' }, message: undefined, failure: { code: 'MAILBOX_FULL', message: 'full' } },
    ];
    for (const e of envelopes) batch.push(e);
    expect(batch.size).toBe(3);
    expect(decodeBatch(batch.take(), system)).toEqual(envelopes);
    expect(batch.size).toBe(0);
  });

  it('property: any sequence of envelopes round-trips exactly', () => {
    const { system } = setup();
    const address = fc.record({ system: fc.constantFrom('n1', 'n2', 'n3.w1'), path: fc.constantFrom('a', 'b/c', '$ask/1') });
    const envelope = fc.record(
      {
        to: address,
        sender: fc.option(address, { nil: undefined }),
        // (not fc.jsonValue: msgpackr deliberately drops own `__proto__` keys, which is the codec's business, not the batch's)
        message: fc.oneof(
          fc.integer(),
          fc.double({ noNaN: true }).filter((x) => !Object.is(x, -0)), // msgpack has no -0 integer
          fc.string(),
          fc.boolean(),
          fc.constant(null),
          fc.constant(undefined),
          fc.array(fc.integer(), { maxLength: 5 }),
          fc.dictionary(fc.constantFrom('k', 'v', 'x'), fc.string()),
        ),
        failure: fc.option(fc.record({ code: fc.string(), message: fc.string() }), { nil: undefined }),
      },
      { requiredKeys: ['to', 'sender', 'message'] },
    );
    fc.assert(
      fc.property(fc.array(envelope, { maxLength: 40 }), (envelopes) => {
        const batch = new EnvelopeBatch();
        for (const e of envelopes) batch.push(e as RemoteEnvelope);
        expect(batch.size).toBe(envelopes.length);
        const decoded = decodeBatch(batch.take(), system);
        expect(decoded).toEqual(envelopes);
      }),
    );
  });

  it('reject anything that is not a well-formed batch with CorruptionError', () => {
    const { system } = setup();
    const bad = [
      { not: 'an array' },
      ['x', 'n1', 'a', 1], // flags not a number
      [16, 'n1', 'a', 1], // unknown flag
      [4 | 1, 'n1', 'a', 'n2', 'b', 1], // NewSender without Sender
      [0, 1], // "same target as before" with nothing before
      [1, 1, 'a', 1], // target system not a string
      [1, 'n1'], // target cut short
      [1 | 2, 'n1', 'a', 1], // "same sender as before" with nothing before
      [1 | 8, 'n1', 'a', 1, { code: 5 }], // malformed failure
      [1, 'n1', 'a'], // no message
    ];
    for (const value of bad) expect(() => decodeBatch(encode(value), system)).toThrow(CorruptionError);
  });

  it('write a run between the same two actors without repeating their addresses', () => {
    const { system } = setup();
    const to = { system: 'n1', path: 'some/long/actor/path' };
    const sender = { system: 'n2', path: 'another/long/actor/path' };
    const run = new EnvelopeBatch();
    for (let i = 0; i < 100; i++) run.push({ to: { ...to }, sender: { ...sender }, message: i });
    const bytes = run.take();
    expect(bytes.length).toBeLessThan(100 * 3 + 100); // flags + a small int per envelope, addresses once
    const decoded = decodeBatch(bytes, system);
    expect(decoded.map((e) => e.message)).toEqual([...Array(100).keys()]);
    expect(decoded.every((e) => e.to.path === to.path && e.sender?.system === 'n2' && e.sender.path === sender.path)).toBe(true);

    const mixed = new EnvelopeBatch();
    const envelopes: RemoteEnvelope[] = [
      { to, sender, message: 1 },
      { to, sender: undefined, message: 2 },
      { to, sender, message: 3 },
      { to: { system: 'n1', path: 'other' }, sender, message: 4 },
      { to, sender: { system: 'n3', path: 'x' }, message: 5 },
      { to, sender, message: 6 },
    ];
    for (const e of envelopes) mixed.push(e);
    expect(decodeBatch(mixed.take(), system)).toEqual(envelopes);
  });

  it('split into frames under a byte limit; an envelope too large alone is handed back', () => {
    const { system } = setup();
    const batch = new EnvelopeBatch();
    for (let i = 0; i < 8; i++) batch.push({ to: { system: 'n1', path: 'a' }, message: 'x'.repeat(100) + i });
    batch.push({ to: { system: 'n1', path: 'a' }, message: 'y'.repeat(1000) });
    const { frames, tooLarge } = batch.takeFrames(400);
    expect(tooLarge.map((e) => (e.message as string).length)).toEqual([1000]);
    expect(frames.every((f) => f.length <= 400)).toBe(true);
    const messages = frames.flatMap((f) => decodeBatch(f, system).map((e) => e.message));
    expect(messages).toEqual([...Array(8).keys()].map((i) => 'x'.repeat(100) + i));
  });
});
