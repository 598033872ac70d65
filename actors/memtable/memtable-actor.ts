import type { Actor, ActorContext, ActorRef, Props } from '../../runtime/index.js';
import { EdgeKVError } from '../../runtime/errors.js';
import { LsmEngine, type EngineOptions } from '../../storage/engine.js';
import type { MemtableReply, MemtableRequest } from './messages.js';

export interface MemtableActorOptions {
  /** Engine options; the actor opens the engine in preStart and closes it in postStop. */
  engine: EngineOptions;
}

function failure(e: unknown): MemtableReply {
  if (e instanceof EdgeKVError) return { ok: false, code: e.code, message: e.message };
  return { ok: false, code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

/**
 * Owns one node's LSM engine and serves it by message. Writes are not awaited
 * inside `receive`: the next message is taken at once so writes of one turn
 * share a group commit, and each is answered when its commit completes.
 * Reads are answered synchronously from the engine.
 */
export class MemtableActor implements Actor<MemtableRequest> {
  private engine: LsmEngine | null = null;

  constructor(private readonly options: MemtableActorOptions) {}

  async preStart(): Promise<void> {
    this.engine = await LsmEngine.open(this.options.engine);
  }

  postStop(): void {
    const e = this.engine;
    this.engine = null;
    // Closing syncs the WAL; the actor is gone either way.
    void e?.close().catch(() => {});
  }

  receive(m: MemtableRequest, ctx: ActorContext<MemtableRequest>): void | Promise<void> {
    const sender = ctx.sender;
    const answer = (r: MemtableReply) => sender?.tell(r, ctx.self as ActorRef<unknown>);
    const e = this.engine;
    if (e === null) {
      answer({ ok: false, code: 'ENGINE_CLOSED', message: 'storage engine is not open' });
      return;
    }
    const later = (p: Promise<MemtableReply>) => {
      p.then(answer, (err: unknown) => answer(failure(err)));
    };
    const wo = (x: { appliedIndex?: number; sync?: boolean }) => ({
      ...(x.appliedIndex !== undefined ? { appliedIndex: x.appliedIndex } : {}),
      ...(x.sync !== undefined ? { sync: x.sync } : {}),
    });
    const done = (): MemtableReply => ({ ok: true, type: 'done' });
    try {
      switch (m.type) {
        case 'put':
          later(e.put(m.keyspace, m.key, m.value, wo(m)).then(done));
          return;
        case 'delete':
          later(e.delete(m.keyspace, m.key, wo(m)).then(done));
          return;
        case 'write':
          later(e.write(m.ops, wo(m)).then(done));
          return;
        case 'get':
          answer({ ok: true, type: 'value', value: e.get(m.keyspace, m.key) ?? null });
          return;
        case 'scan':
          answer({ ok: true, type: 'entries', entries: e.scan(m.keyspace, { start: m.start, end: m.end, limit: m.limit }) });
          return;
        case 'flush':
          // Awaited: a flush is a barrier for the messages behind it.
          return e.flush().then(() => answer(done()), (err: unknown) => answer(failure(err)));
        case 'stats':
          answer({ ok: true, type: 'stats', stats: e.stats() });
          return;
        case 'snapshot':
          return e.createSnapshot().then(
            (snapshot) => answer({ ok: true, type: 'snapshot', snapshot, appliedIndex: e.durableAppliedIndex }),
            (err: unknown) => answer(failure(err)),
          );
        case 'export-range':
          answer({ ok: true, type: 'chunks', chunks: [...e.exportRange(m.start, m.end)] });
          return;
        case 'import-range':
          later(e.importRange(Buffer.from(m.chunk), wo(m)).then((count): MemtableReply => ({ ok: true, type: 'count', count })));
          return;
        case 'delete-range':
          return e.deleteRange(m.keyspace, m.start, m.end, wo(m)).then(
            (count) => answer({ ok: true, type: 'count', count }),
            (err: unknown) => answer(failure(err)),
          );
      }
    } catch (err) {
      answer(failure(err));
    }
  }
}

export function memtableActorProps(options: MemtableActorOptions): Props<MemtableRequest> {
  return { create: () => new MemtableActor(options) };
}
