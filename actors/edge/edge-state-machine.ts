import type { KvResult } from '../raft/kv/commands.js';
import { MAX_CLIENT_SESSIONS } from '../raft/defaults.js';
import { compareKeys, KvStateMachine } from '../raft/kv/kv-state-machine.js';
import type { KvStore } from '../raft/kv/kv-store.js';
import type { EdgeCustomCommand, EdgeQuery, ExportPage, FenceState, HexSpan, KeyCounts, SessionsPage } from './commands.js';
import {
  allGlobal,
  allLocal,
  isGlobalKey,
  normalizeSpans,
  ringHex,
  ringIdOf,
  spanBounds,
  spanContains,
  subtractSpans,
  userKeyInRange,
  userKeyOf,
  type IdSpan,
} from './keyspace.js';

interface EdgeImage {
  moving: HexSpan[];
  moved: HexSpan[];
}

export const toHexSpans = (spans: readonly IdSpan[]): HexSpan[] => spans.map((s) => [ringHex(s.lo), ringHex(s.hi)]);
export const fromHexSpans = (spans: readonly HexSpan[]): IdSpan[] => spans.map(([lo, hi]) => ({ lo: BigInt(`0x${lo}`), hi: BigInt(`0x${hi}`) }));

const fenced = (message: string): KvResult => ({ ok: false, error: 'FENCED', message });
const custom = (value: unknown): KvResult => ({ ok: true, op: 'custom', value });
const badKey = (key: string): KvResult => ({ ok: false, error: 'BAD_COMMAND', message: `this store cannot hold the key: ${JSON.stringify(key.slice(0, 64))}` });

/**
 * A group's replicated state on an edge node: the KV map (local and global
 * keyspaces, see keyspace.ts), client sessions, and the fences of global
 * ring ranges this group does not serve.
 *
 * A fence is `moving` (the range is being copied out: neither served nor
 * deletable) or `moved` (copied: `purge` deletes its keys). A fence is lifted
 * only by an import of that range (the range came back). Fences live in the
 * replicated state, so a leader change keeps them, and every check happens at
 * apply time (writes) or after ReadIndex (reads): a request ordered after the
 * fence in the log is refused, one ordered before it is in the copy.
 *
 * The keys live in a `KvStore`: the in-memory map by default (the
 * simulator), the LSM engine on a real edge node (`LsmKvStore`, see boot.ts).
 */
export class EdgeStateMachine extends KvStateMachine {
  private moving: IdSpan[] = [];
  private moved: IdSpan[] = [];

  constructor(store?: KvStore) {
    super(MAX_CLIENT_SESSIONS, store);
  }

  protected override executeCustom(name: string, args: unknown, index: number): KvResult {
    const cmd = { name, args } as EdgeCustomCommand;
    switch (cmd.name) {
      case 'gput': {
        if (!this.store.accepts(cmd.args.key)) return badKey(cmd.args.key);
        if (this.isFenced(cmd.args.key)) return fenced(`the range of this key is not served by this group`);
        this.setKey(cmd.args.key, new Uint8Array(cmd.args.value));
        return custom(null);
      }
      case 'gdelete': {
        if (!this.store.accepts(cmd.args.key)) return badKey(cmd.args.key);
        if (this.isFenced(cmd.args.key)) return fenced(`the range of this key is not served by this group`);
        this.deleteKey(cmd.args.key);
        return custom(null);
      }
      case 'gdeleteRange': {
        const keys = this.servedGlobal(cmd.args.start, cmd.args.end).map(([k]) => k);
        for (const k of keys) this.deleteKey(k);
        return custom(keys.length);
      }
      case 'fence': {
        const spans = fromHexSpans(cmd.args.spans);
        this.moving = normalizeSpans([...this.moving, ...spans]);
        this.moved = subtractSpans(this.moved, spans);
        return custom(null);
      }
      case 'markMoved': {
        const spans = fromHexSpans(cmd.args.spans);
        this.moving = subtractSpans(this.moving, spans);
        this.moved = normalizeSpans([...this.moved, ...spans]);
        return custom(null);
      }
      case 'purge': {
        let deleted = 0;
        for (const span of this.moved) {
          const { start, end } = spanBounds(span);
          for (const [k] of this.range(start, end)) {
            this.deleteKey(k);
            deleted++;
          }
        }
        return custom(deleted);
      }
      case 'importBegin': {
        const spans = fromHexSpans(cmd.args.spans);
        // Only fenced keys are stale: a range that leaves a group stays fenced
        // until it comes back, so unfenced keys in it are this group's own
        // (e.g. a cluster restarted from its data re-forms the ring by joins,
        // and the joining gateway's group imports its own range back from an
        // interim owner that holds none of it). Imported copies overwrite.
        const fenced = normalizeSpans([...this.moving, ...this.moved]);
        const stale = subtractSpans(spans, subtractSpans(spans, fenced));
        this.moving = normalizeSpans([...this.moving, ...spans]);
        this.moved = subtractSpans(this.moved, spans);
        for (const span of stale) {
          const { start, end } = spanBounds(span);
          for (const [k] of this.range(start, end)) this.deleteKey(k);
        }
        return custom(null);
      }
      case 'importChunk': {
        for (const [k, v] of cmd.args.entries) {
          if (isGlobalKey(k) && this.store.accepts(k) && this.isFenced(k)) this.setKey(k, new Uint8Array(v));
        }
        this.sessions.merge(cmd.args.sessions, index);
        return custom(null);
      }
      case 'importEnd': {
        const spans = fromHexSpans(cmd.args.spans);
        this.moving = subtractSpans(this.moving, spans);
        this.moved = subtractSpans(this.moved, spans);
        return custom(null);
      }
      default:
        return super.executeCustom(name, args, index);
    }
  }

  override query(question: unknown): KvResult {
    const q = question as EdgeQuery;
    switch (q.name) {
      case 'gget':
        if (this.isFenced(q.key)) return fenced('the range of this key is not served by this group');
        return custom(this.get(q.key));
      case 'grange': {
        const all = this.servedGlobal(q.start, q.end).sort((a, b) => compareKeys(userKeyOf(a[0]), userKeyOf(b[0])));
        return custom(q.limit > 0 ? all.slice(0, q.limit) : all);
      }
      case 'export':
        return this.exportPage(fromHexSpans(q.spans), q.after, q.maxBytes);
      case 'exportSessions': {
        const rows = this.sessions.toJSON();
        return custom({ sessions: rows.slice(q.offset, q.offset + q.count), total: rows.length } satisfies SessionsPage);
      }
      case 'counts':
        return custom(this.counts());
      case 'fences':
        return custom({ moving: toHexSpans(this.moving), moved: toHexSpans(this.moved) } satisfies FenceState);
      default:
        return super.query(question);
    }
  }

  counts(): KeyCounts {
    const local = this.range(allLocal.start, allLocal.end).length;
    let global = 0;
    let held = 0;
    for (const [k] of this.range(allGlobal.start, allGlobal.end)) {
      held++;
      if (!this.isFenced(k)) global++;
    }
    return { local, global, fenced: held - global };
  }

  private exportPage(spans: IdSpan[], after: string | null, maxBytes: number): KvResult {
    for (const span of spans) {
      if (subtractSpans([span], [...this.moving, ...this.moved]).length > 0) {
        return { ok: false, error: 'BAD_COMMAND', message: 'only a fenced range can be exported (fence it first)' };
      }
    }
    const page: ExportPage = { entries: [], next: null };
    let bytes = 0;
    for (const span of normalizeSpans(spans)) {
      const bounds = spanBounds(span);
      const start = after !== null && compareKeys(after, bounds.start) >= 0 ? after + '\u0000' : bounds.start;
      if (compareKeys(start, bounds.end) >= 0) continue;
      for (const [k, v] of this.range(start, bounds.end)) {
        if (bytes >= maxBytes && page.entries.length > 0) {
          page.next = page.entries[page.entries.length - 1]![0];
          return custom(page);
        }
        page.entries.push([k, v]);
        bytes += k.length + v.byteLength;
      }
    }
    return custom(page);
  }

  /** Served (unfenced) global keys with user keys in [start, end). */
  private servedGlobal(start: string, end: string): [string, Uint8Array][] {
    return this.range(allGlobal.start, allGlobal.end).filter(([k]) => !this.isFenced(k) && userKeyInRange(userKeyOf(k), start, end));
  }

  private isFenced(storedGlobalKey: string): boolean {
    if (this.moving.length === 0 && this.moved.length === 0) return false;
    const id = ringIdOf(storedGlobalKey);
    return this.moving.some((s) => spanContains(s, id)) || this.moved.some((s) => spanContains(s, id));
  }

  protected override extraImage(): unknown {
    if (this.moving.length === 0 && this.moved.length === 0) return undefined;
    return { moving: toHexSpans(this.moving), moved: toHexSpans(this.moved) } satisfies EdgeImage;
  }

  protected override restoreExtra(extra: unknown): void {
    const image = extra as EdgeImage | undefined;
    this.moving = image === undefined ? [] : fromHexSpans(image.moving);
    this.moved = image === undefined ? [] : fromHexSpans(image.moved);
  }
}
