import { describe, expect, it } from 'vitest';
import type { Actor } from '../actor.js';
import { SeededRandom } from '../random.js';
import { AskTimeoutError } from '../errors.js';
import { SimDisk, Simulation } from './index.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

class Echo implements Actor<string> {
  receive(m: string, ctx: Parameters<Actor<string>['receive']>[1]): void {
    ctx.reply(`echo:${m}`);
  }
}

describe('Simulation', () => {
  it('fires timers in virtual time, not wall time', async () => {
    const sim = new Simulation({ seed: 1 });
    const fired: number[] = [];
    const n = sim.addNode('n1', (node) => {
      node.system.spawn<string>({ create: () => ({ receive: () => void fired.push(node.system.clock.now()) }) }, 't');
    });
    const ref = n.system.ref<string>('t');
    n.system.clock.setTimeout(() => ref.tell('x'), 60_000);
    const before = Date.now();
    await sim.runFor(120_000);
    expect(fired).toEqual([60_000]);
    expect(Date.now() - before).toBeLessThan(5_000);
    expect(sim.nowMs).toBe(120_000);
  });

  it('carries asks between nodes with latency and times them out on a partition', async () => {
    const sim = new Simulation({ seed: 2, faults: { minDelayMs: 5, maxDelayMs: 5 } });
    sim.addNode('server', (node) => void node.system.spawn({ create: () => new Echo() }, 'echo'));
    const client = sim.addNode('client', () => undefined);
    const echo = client.system.ref<string>({ system: 'server', path: 'echo' });
    let answer: unknown;
    void echo.ask('hi', { timeoutMs: 100 }).then((a) => (answer = a));
    await sim.runFor(9);
    expect(answer).toBeUndefined();
    await sim.runFor(2);
    expect(answer).toBe('echo:hi');

    sim.network.partition(['client'], ['server']);
    let error: unknown;
    void echo.ask('again', { timeoutMs: 100 }).catch((e: unknown) => (error = e));
    await sim.runFor(200);
    expect(error).toBeInstanceOf(AskTimeoutError);
    sim.network.heal();
    await expect(
      (async () => {
        const p = echo.ask('healed', { timeoutMs: 100 });
        await sim.runFor(20);
        return p;
      })(),
    ).resolves.toBe('echo:healed');
  });

  it('crash stops a node and restart boots it from its disk', async () => {
    const sim = new Simulation({ seed: 3 });
    const boots: Array<string | undefined> = [];
    sim.addNode('n', (node) => {
      boots.push(dec(node.disk.readFile('state')));
      node.disk.writeFile('state', enc(`boot-${node.incarnation}`));
      node.disk.sync('state');
    });
    sim.crash('n');
    expect(sim.isUp('n')).toBe(false);
    sim.restart('n');
    expect(boots).toEqual([undefined, 'boot-0']);
    expect(sim.node('n')?.incarnation).toBe(1);
  });
});

describe('SimDisk', () => {
  it('keeps synced bytes across a crash and may lose or tear unsynced appends', () => {
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 50; seed++) {
      const disk = new SimDisk();
      const h = disk.handle();
      h.append('log', enc('aaaa'));
      h.sync('log');
      h.append('log', enc('bbbb'));
      h.append('log', enc('cccc'));
      disk.crash(new SeededRandom(seed));
      const after = dec(disk.handle().readFile('log'))!;
      expect(after.startsWith('aaaa')).toBe(true);
      expect('aaaabbbbcccc'.startsWith(after)).toBe(true);
      outcomes.add(after);
    }
    expect(outcomes.has('aaaa')).toBe(true);
    expect(outcomes.size).toBeGreaterThan(3);
  });

  it('ignores writes through the handle of a crashed incarnation', () => {
    const disk = new SimDisk();
    const old = disk.handle();
    disk.crash(new SeededRandom(1));
    old.writeFile('x', enc('stale'));
    expect(disk.handle().readFile('x')).toBeUndefined();
  });

  it('a process crash (loseUnsynced=false) keeps everything written', () => {
    const disk = new SimDisk();
    disk.handle().append('f', enc('abc'));
    disk.crash(new SeededRandom(1), false);
    expect(dec(disk.handle().readFile('f'))).toBe('abc');
  });
});

describe('Simulation crash', () => {
  it('a crashed node runs no more handlers, even from promise callbacks left behind', async () => {
    const sim = new Simulation({ seed: 5 });
    const handled: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const n = sim.addNode('n', (node) => {
      node.system.spawn<string>(
        {
          create: () => ({
            async receive(m, ctx) {
              handled.push(m);
              if (m === 'wait') {
                await gate;
                ctx.self.tell('after-crash');
              }
            },
          }),
        },
        'a',
      );
    });
    n.system.ref<string>('a').tell('wait');
    await sim.runFor(1);
    sim.crash('n');
    release();
    await sim.runFor(10);
    expect(handled).toEqual(['wait']);
  });
});
