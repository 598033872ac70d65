import type { KvResult } from '../raft/kv/commands.js';
import { MAX_CLIENT_SESSIONS } from '../raft/defaults.js';
import { compareKeys, KvStateMachine } from '../raft/kv/kv-state-machine.js';
import type { KvStore } from '../raft/kv/kv-store.js';
import type { EdgeCustomCommand, EdgeQuery, ExportPage, GlobalDeletePart, GlobalRangePart, HexSpan, KeyCounts, OwnershipState, SessionsPage } from './commands.js';
import {
  allGlobal,
  allLocal,
  isGlobalKey,
  normalizeSpans,
  ringHex,
  ringIdOf,
  spanBounds,
  userKeyInRange,
  userKeyOf,
  type IdSpan,
} from './keyspace.js';
import { OwnershipMap, type PieceRow } from './ownership.js';

interface EdgeImage {
  ownership: PieceRow[];
}

export const toHexSpans = (spans: readonly IdSpan[]): HexSpan[] => spans.map((s) => [ringHex(s.lo), ringHex(s.hi)]);
export const fromHexSpans = (spans: readonly HexSpan[]): IdSpan[] => spans.map(([lo, hi]) => ({ lo: BigInt(`0x${lo}`), hi: BigInt(`0x${hi}`) }));

const fenced = (message: string): KvResult => ({ ok: false, error: 'FENCED', message });
/** Not owned here (moving, moved, or never here): refused, not recorded, retried by the door. */
const notOwner = (): KvResult => fenced('this group does not own the key\'s ring id (it is moving, or owned by another group)');
const custom = (value: unknown): KvResult => ({ ok: true, op: 'custom', value });
const badKey = (key: string): KvResult => ({ ok: false, error: 'BAD_COMMAND', message: `this store cannot hold the key: ${JSON.stringify(key.slice(0, 64))}` });

/**
 * A group's replicated state on an edge node: the KV map (local and global
 * keyspaces, see keyspace.ts), client sessions, and the ownership of global
 * ring ids (ownership.ts): the group serves a global key only while it owns
 * the key's id, whatever any gateway believes.
 *
 * A move of ids from group S to group T (driven by a migrator, any number of
 * times, in any interleaving: every step is guarded by the records):
 *  1. S `release`s them to T: owned → outgoing(E, T). S refuses them from
 *     this log position on (FENCED); a second release of any of them is
 *     refused, so two gateways can never both pull the same ids out of S.
 *  2. T `importBegin`(E): records older than E → incoming(E, S), their
 *     stored keys dropped (leftovers of an earlier stay).
 *  3. `export` pages from S (only while outgoing(E, T): frozen) →
 *     `importChunk`(E) in T (written only where incoming(E)).
 *  4. T `importEnd`(E): incoming(E) → owned(E). T serves them.
 *  5. S `complete`(E, T): outgoing(E, T) → none(E), keys purged. Only after
 *     step 4, so nothing is purged that the target has not taken over.
 * Every check happens at apply time (writes) or after ReadIndex (reads), in
 * the group's log order: a write ordered before the release is in the copy,
 * one ordered after it is refused and not recorded (its retry may apply at
 * the new owner).
 *
 * The keys live in a `KvStore`: the in-memory map by default (the
 * simulator), the LSM engine on a real edge node (`LsmKvStore`, see boot.ts).
 */
export class EdgeStateMachine extends KvStateMachine {
  private own = new OwnershipMap();

  constructor(store?: KvStore) {
    super(MAX_CLIENT_SESSIONS, store);
  }

  protected override executeCustom(name: string, args: unknown, index: number): KvResult {
    const cmd = { name, args } as EdgeCustomCommand;
    switch (cmd.name) {
      case 'gput': {
        if (!this.store.accepts(cmd.args.key)) return badKey(cmd.args.key);
        if (!this.serves(cmd.args.key)) return notOwner();
        this.setKey(cmd.args.key, new Uint8Array(cmd.args.value));
        return custom(null);
      }
      case 'gdelete': {
        if (!this.store.accepts(cmd.args.key)) return badKey(cmd.args.key);
        if (!this.serves(cmd.args.key)) return notOwner();
        this.deleteKey(cmd.args.key);
        return custom(null);
      }
      case 'gdeleteRange':
      case 'gdeleteRangeOwned': {
        const keys = this.servedGlobal(cmd.args.start, cmd.args.end).map(([k]) => k);
        for (const k of keys) this.deleteKey(k);
        if (cmd.name === 'gdeleteRange') return custom(keys.length);
        return custom({ deleted: keys.length, owned: toHexSpans(this.own.spans('owned')) } satisfies GlobalDeletePart);
      }
      case 'genesis': {
        for (const p of this.own.all().filter((x) => x.epoch === 0)) this.own.set(p.lo, p.hi, { state: 'owned', epoch: 1, peer: '' });
        return custom(null);
      }
      case 'release': {
        const pieces = this.own.slice(fromHexSpans(cmd.args.spans));
        if (pieces.length === 0) return { ok: false, error: 'BAD_COMMAND', message: 'release of no ids' };
        const foreign = pieces.find((p) => p.state !== 'owned');
        if (foreign !== undefined) return fenced(`release refused: ids from ${ringHex(foreign.lo)} are ${foreign.state} here (epoch ${foreign.epoch}), not owned`);
        const epoch = Math.max(...pieces.map((p) => p.epoch)) + 1;
        for (const p of pieces) this.own.set(p.lo, p.hi, { state: 'outgoing', epoch, peer: cmd.args.to });
        return custom(epoch);
      }
      case 'importBegin': {
        const { epoch, from } = cmd.args;
        const pieces = this.own.slice(fromHexSpans(cmd.args.spans));
        // Owned ids here with an older epoch would mean two owners: never the case, and never dropped.
        const owned = pieces.find((p) => p.epoch < epoch && p.state === 'owned');
        if (owned !== undefined) return { ok: false, error: 'BAD_COMMAND', message: `import refused: ids from ${ringHex(owned.lo)} are owned here` };
        for (const p of pieces) {
          if (p.epoch >= epoch) continue; // this move began here before (or is long past)
          for (const [k] of this.range(spanBounds(p).start, spanBounds(p).end)) this.deleteKey(k);
          this.own.set(p.lo, p.hi, { state: 'incoming', epoch, peer: from });
        }
        return custom(null);
      }
      case 'importChunk': {
        for (const [k, v] of cmd.args.entries) {
          if (!isGlobalKey(k) || !this.store.accepts(k)) continue;
          const rec = this.own.recordOf(ringIdOf(k));
          if (rec.state === 'incoming' && rec.epoch === cmd.args.epoch) this.setKey(k, new Uint8Array(v));
        }
        this.sessions.merge(cmd.args.sessions, index);
        return custom(null);
      }
      case 'importEnd': {
        const { epoch } = cmd.args;
        const pieces = this.own.slice(fromHexSpans(cmd.args.spans));
        if (pieces.some((p) => p.epoch < epoch)) return custom(false);
        for (const p of pieces) if (p.state === 'incoming' && p.epoch === epoch) this.own.set(p.lo, p.hi, { state: 'owned', epoch, peer: '' });
        return custom(true);
      }
      case 'complete': {
        const { epoch, to } = cmd.args;
        let deleted = 0;
        for (const p of this.own.slice(fromHexSpans(cmd.args.spans))) {
          if (p.state !== 'outgoing' || p.epoch !== epoch || p.peer !== to) continue;
          for (const [k] of this.range(spanBounds(p).start, spanBounds(p).end)) {
            this.deleteKey(k);
            deleted++;
          }
          this.own.set(p.lo, p.hi, { state: 'none', epoch, peer: '' });
        }
        return custom(deleted);
      }
      default:
        return super.executeCustom(name, args, index);
    }
  }

  override query(question: unknown): KvResult {
    const q = question as EdgeQuery;
    switch (q.name) {
      case 'gget':
        if (!this.serves(q.key)) return notOwner();
        return custom(this.get(q.key));
      case 'grange':
      case 'grangeOwned': {
        const all = this.servedGlobal(q.start, q.end).sort((a, b) => compareKeys(userKeyOf(a[0]), userKeyOf(b[0])));
        const entries = q.limit > 0 ? all.slice(0, q.limit) : all;
        if (q.name === 'grange') return custom(entries);
        return custom({ entries, owned: toHexSpans(this.own.spans('owned')) } satisfies GlobalRangePart);
      }
      case 'export':
        return this.exportPage(q);
      case 'exportSessions': {
        const rows = this.sessions.toJSON();
        return custom({ sessions: rows.slice(q.offset, q.offset + q.count), total: rows.length } satisfies SessionsPage);
      }
      case 'counts':
        return custom(this.counts());
      case 'ownership':
        return custom({ pieces: this.own.rows() } satisfies OwnershipState);
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
      if (this.serves(k)) global++;
    }
    return { local, global, fenced: held - global };
  }

  private exportPage(q: Extract<EdgeQuery, { name: 'export' }>): KvResult {
    const spans = fromHexSpans(q.spans);
    const off = this.own.slice(spans).find((p) => p.state !== 'outgoing' || p.epoch !== q.epoch || p.peer !== q.to);
    if (off !== undefined) return fenced(`export refused: ids from ${ringHex(off.lo)} are not outgoing to ${q.to} at epoch ${q.epoch} (${off.state}, epoch ${off.epoch})`);
    const page: ExportPage = { entries: [], next: null };
    let bytes = 0;
    for (const span of normalizeSpans(spans)) {
      const bounds = spanBounds(span);
      const start = q.after !== null && compareKeys(q.after, bounds.start) >= 0 ? q.after + '\u0000' : bounds.start;
      if (compareKeys(start, bounds.end) >= 0) continue;
      for (const [k, v] of this.range(start, bounds.end)) {
        if (bytes >= q.maxBytes && page.entries.length > 0) {
          page.next = page.entries[page.entries.length - 1]![0];
          return custom(page);
        }
        page.entries.push([k, v]);
        bytes += k.length + v.byteLength;
      }
    }
    return custom(page);
  }

  /** Served (owned) global keys with user keys in [start, end). */
  private servedGlobal(start: string, end: string): [string, Uint8Array][] {
    return this.range(allGlobal.start, allGlobal.end).filter(([k]) => this.serves(k) && userKeyInRange(userKeyOf(k), start, end));
  }

  private serves(storedGlobalKey: string): boolean {
    return this.own.owns(ringIdOf(storedGlobalKey));
  }

  protected override extraImage(): unknown {
    if (this.own.isPristine()) return undefined;
    return { ownership: this.own.rows() } satisfies EdgeImage;
  }

  protected override restoreExtra(extra: unknown): void {
    const image = extra as EdgeImage | undefined;
    this.own = image === undefined ? new OwnershipMap() : OwnershipMap.fromRows(image.ownership);
  }
}
