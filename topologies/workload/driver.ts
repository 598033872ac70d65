// The workload driver shared by the real and the simulated runner: loads the
// records, then runs a resolved topology's phases in order against an abstract
// key-value target on an injected clock, and emits a TickRecord per second of
// that clock (cluster-wide, per op type) and a PhaseRecord per phase.
//
// Every operation counts in the second in which it completed (measured on the
// clock). Clients stop issuing at the phase's end; operations still in flight
// then are waited for (up to `drainMs`) and count in the phase's last tick, so
// the ticks of a phase always add up to its PhaseRecord.
import type { OpName, PhaseRecord, RunRecord, TickRecord } from '../records.js';
import type { ResolvedPhase, ResolvedTopology } from '../resolve.js';
import { benchPreloadKeys, choosersFor, clientRandom, newKeyspace, noteWritten, opSource, preloadKeyNumber, randomValue, ycsbKey, benchKey, type Keyspace, type KvOps } from './ops.js';
import { OpWindow } from './stats.js';
import { seededRandom } from '../../bench/ycsb/generators.js';

export type { KvOps } from './ops.js';

/** Milliseconds: `now()` on any monotonic scale (performance.now() for real, virtual time in the simulator). */
export interface DriverClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface WorkloadDriverOptions {
  topology: ResolvedTopology;
  /** Variant name written into the records. */
  variant: string;
  seed: number;
  clock: DriverClock;
  /** The KvOps of client `index`, in `group` (index mod the groups). Called once per index; the same client serves the load and every phase. */
  client: (index: number, group: string) => KvOps;
  sink: (r: RunRecord) => void;
  /** Checked before every operation (the load's too) and every 100 ms: true ends the load or the current phase early and skips the rest. */
  stopped?: () => boolean;
  /** After a failed operation the client waits this long before the next (default 10 ms): a node that refuses at once must not spin the loop. */
  errorBackoffMs?: number;
  /** How long to wait at a phase's end for operations still in flight (default 30 s); later completions are not counted. */
  drainMs?: number;
  /** Client loops that run the load (default: the largest client count of the phases, 4 to 32, and at least one per group). */
  loadClients?: number;
}

export interface LoadResult {
  puts: number;
  errors: number;
  /** Clock milliseconds the load took. */
  ms: number;
  firstError?: string;
}

/** How often a phase notices `stopped()` between its ticks. */
const stopPollMs = 100;

const round3 = (x: number): number => Number(x.toFixed(3));

export class WorkloadDriver {
  private readonly groups: string[];
  private readonly keyspaces = new Map<string, Keyspace>();
  private readonly clients = new Map<number, KvOps>();
  private readonly stopped: () => boolean;
  private t0: number | undefined;

  constructor(private readonly opts: WorkloadDriverOptions) {
    this.groups = opts.topology.layout.groups.map((g) => g.id);
    if (this.groups.length === 0) throw new Error('the topology has no groups');
    this.stopped = opts.stopped ?? (() => false);
    const w = opts.topology.workload;
    const share = w?.globalShare ?? 0.5;
    const loaded = w !== undefined && w.phases.some((p) => p.kind === 'ycsb') ? w.records : 0;
    if (share > 0) this.keyspaces.set('global', newKeyspace('global', 'global', undefined, loaded));
    if (share < 1) for (const g of this.groups) this.keyspaces.set(`local-${g}`, newKeyspace(`local-${g}`, 'local', g, loaded));
  }

  /** The group of client `index`: round-robin over the topology's groups. */
  groupOf(index: number): string {
    return this.groups[index % this.groups.length]!;
  }

  private client(index: number): KvOps {
    let c = this.clients.get(index);
    if (c === undefined) {
      c = this.opts.client(index, this.groupOf(index));
      this.clients.set(index, c);
    }
    return c;
  }

  /**
   * Before t=0: YCSB inserts its records into every keyspace (the global one
   * once, each group's local one through that group's clients), as bench/ycsb
   * does; readwhilewriting and mixgraph write a small preload (the hottest
   * keys of the key space); fillrandom starts empty.
   */
  async load(): Promise<LoadResult> {
    const w = this.opts.topology.workload;
    const { clock } = this.opts;
    const started = clock.now();
    const result: LoadResult = { puts: 0, errors: 0, ms: 0 };
    if (w === undefined || w.phases.length === 0) return result;
    const first = w.phases[0]!;
    let count: number;
    let keyOf: (i: number) => { n: number; key: string };
    if (w.phases.some((p) => p.kind === 'ycsb')) {
      count = w.records;
      keyOf = (i) => ({ n: i, key: ycsbKey(i) });
    } else if (first.kind === 'readwhilewriting' || first.kind === 'mixgraph') {
      count = Math.min(w.records, benchPreloadKeys);
      keyOf = (i) => {
        const n = preloadKeyNumber(i, w.records);
        return { n, key: benchKey(n) };
      };
    } else {
      return result;
    }
    const maxClients = Math.max(...w.phases.map((p) => p.clients));
    const loaders = this.opts.loadClients ?? Math.max(this.groups.length, Math.min(32, Math.max(4, maxClients)));
    const rand = seededRandom((this.opts.seed >>> 0) ^ 0x5eed10ad);
    const next = new Map<string, number>([...this.keyspaces.keys()].map((k) => [k, 0]));
    await Promise.all(
      Array.from({ length: loaders }, async (_, index) => {
        const kv = this.client(index);
        for (const ksName of [`local-${this.groupOf(index)}`, 'global']) {
          const ks = this.keyspaces.get(ksName);
          if (ks === undefined) continue;
          for (let i = next.get(ksName)!; i < count && !this.stopped(); i = next.get(ksName)!) {
            next.set(ksName, i + 1);
            const { n, key } = keyOf(i);
            try {
              await kv.put(key, randomValue(w.valueBytes, rand), ks.scope);
              result.puts++;
              noteWritten(ks, n);
            } catch (error) {
              result.errors++;
              result.firstError ??= `load put: ${(error as Error).message}`;
              await clock.sleep(this.opts.errorBackoffMs ?? 10);
            }
          }
        }
      }),
    );
    result.ms = clock.now() - started;
    return result;
  }

  /** Runs the phases in order; t=0 is now. */
  async run(): Promise<void> {
    const w = this.opts.topology.workload;
    this.t0 = this.opts.clock.now();
    if (w === undefined) return;
    for (const [i, phase] of w.phases.entries()) {
      if (this.stopped()) break;
      await this.runPhase(i, phase);
    }
  }

  /** Seconds since t=0 of a clock reading. */
  private t(ms: number): number {
    return round3((ms - this.t0!) / 1000);
  }

  private async runPhase(index: number, phase: ResolvedPhase): Promise<void> {
    const { clock, sink, variant } = this.opts;
    const w = this.opts.topology.workload!;
    const backoff = this.opts.errorBackoffMs ?? 10;
    const drainMs = this.opts.drainMs ?? 30_000;
    const start = clock.now();
    let end = start + phase.durationMs;
    /** Index of the phase's last tick window; lowered when the run is stopped early. */
    let lastWindow = Math.max(0, Math.ceil(phase.durationMs / 1000) - 1);
    const windows = new Map<number, OpWindow>();
    const whole = new OpWindow();
    const groups = new Map<string, { ops: number; errors: number }>();
    let firstError: string | undefined;
    let lastCompletion = start;
    let closed = false;
    let running = phase.clients;

    const note = (op: OpName, group: string, t0: number, error: unknown): void => {
      if (closed) return;
      const g = groups.get(group) ?? { ops: 0, errors: 0 };
      if (error === undefined) g.ops++;
      else g.errors++;
      groups.set(group, g);
      const now = clock.now();
      lastCompletion = Math.max(lastCompletion, now);
      const idx = Math.min(lastWindow, Math.max(0, Math.floor((now - start) / 1000)));
      let win = windows.get(idx);
      if (win === undefined) windows.set(idx, (win = new OpWindow()));
      if (error === undefined) {
        win.ok(op, now - t0);
        whole.ok(op, now - t0);
      } else {
        win.failed(op);
        whole.failed(op);
        firstError ??= `${op}: ${error instanceof Error ? error.message : String(error)}`;
      }
    };

    const ctx = { phase, keyspaces: this.keyspaces, globalShare: w.globalShare, valueBytes: w.valueBytes, records: w.records, choosers: choosersFor(phase, w.records) };
    const clientLoop = async (ci: number): Promise<void> => {
      try {
        const kv = this.client(ci);
        const group = this.groupOf(ci);
        const next = opSource(ctx, ci, phase.clients, group, clientRandom(this.opts.seed, ci, index));
        while (!closed && clock.now() < end && !this.stopped()) {
          const planned = next();
          const t0 = clock.now();
          try {
            await planned.run(kv);
            note(planned.op, group, t0, undefined);
          } catch (error) {
            note(planned.op, group, t0, error ?? new Error('failed'));
            if (backoff > 0 && !closed) await clock.sleep(backoff);
          }
        }
      } catch (error) {
        firstError ??= `client ${ci}: ${(error as Error).message}`;
      } finally {
        running--;
      }
    };
    for (let ci = 0; ci < phase.clients; ci++) void clientLoop(ci);

    const emitTick = (idx: number, fromMs: number, toMs: number): void => {
      const win = windows.get(idx) ?? new OpWindow();
      windows.delete(idx);
      const secs = Math.max(0.001, (toMs - fromMs) / 1000);
      const tick: TickRecord = {
        type: 'tick',
        variant,
        phase: phase.name,
        t: this.t(fromMs),
        opsPerSec: round3(win.ops / secs),
        errorsPerSec: round3(win.errors / secs),
        byOp: win.byOp(),
      };
      sink(tick);
    };

    // One tick per second while the clients run; the last one after the drain.
    let idx = 0;
    for (; idx < lastWindow; idx++) {
      const boundary = start + (idx + 1) * 1000;
      await this.sleepUntilOrStopped(boundary);
      if (this.stopped()) break;
      emitTick(idx, start + idx * 1000, boundary);
    }
    if (!this.stopped()) await this.sleepUntilOrStopped(end);
    if (this.stopped()) {
      // Ends the phase now: what completes from here on counts in the current second.
      lastWindow = idx;
      end = Math.min(end, clock.now());
    }
    const drainUntil = clock.now() + drainMs;
    while (running > 0 && clock.now() < drainUntil) await clock.sleep(Math.min(50, drainUntil - clock.now()));
    closed = true;
    const phaseEnd = Math.max(end, lastCompletion);
    // Operations that completed past the second in which a stop was noticed belong to the last tick.
    for (const [i, win] of [...windows]) {
      if (i <= lastWindow) continue;
      windows.delete(i);
      const into = windows.get(lastWindow) ?? new OpWindow();
      into.absorb(win);
      windows.set(lastWindow, into);
    }
    emitTick(lastWindow, start + lastWindow * 1000, phaseEnd);

    const seconds = Math.max(0.001, (phaseEnd - start) / 1000);
    const record: PhaseRecord = {
      type: 'phase',
      variant,
      phase: phase.name,
      workload: phase.kind === 'ycsb' ? `ycsb-${phase.ycsb}` : phase.kind,
      clients: phase.clients,
      startT: this.t(start),
      endT: this.t(phaseEnd),
      ops: whole.ops,
      opsPerSec: round3(whole.ops / seconds),
      errors: whole.errors,
      byOp: whole.byOp(),
      byGroup: Object.fromEntries(
        this.groups.filter((g) => groups.has(g)).map((g) => [g, { ops: groups.get(g)!.ops, opsPerSec: round3(groups.get(g)!.ops / seconds), errors: groups.get(g)!.errors }]),
      ),
      ...(firstError !== undefined ? { firstError } : {}),
    };
    sink(record);
  }

  private async sleepUntilOrStopped(target: number): Promise<void> {
    while (this.opts.clock.now() < target && !this.stopped()) await this.opts.clock.sleep(Math.min(stopPollMs, target - this.opts.clock.now()));
  }
}
