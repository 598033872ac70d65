import { ringSize, type RingId } from '../gateway/ring-id.js';
import { normalizeSpans, ringHex, type IdSpan } from './keyspace.js';

/**
 * Which global ring ids a group owns: replicated state inside the group's
 * state machine (so its Raft log orders every change), the authority for
 * global keys. A gateway's idea of its range only says what to *ask* for;
 * a group serves a global key only while it owns the key's id.
 *
 * Per id, a group's record is one of
 *  - `none`     not here (never was, or moved out and purged);
 *  - `owned`    served here;
 *  - `outgoing` released to group `peer` by the move with epoch `epoch`:
 *               not served, kept (frozen) until the move completes;
 *  - `incoming` being imported from group `peer` by the move `epoch`:
 *               not served, only that move's chunks are written.
 * Every record carries the epoch of the last move of that id this group took
 * part in. Epochs only grow: a move releases ids at (the largest epoch among
 * them) + 1, and the target's records for them are older. So for every id
 * and epoch there is at most one move, with one source and one target, and
 * a command that carries an older epoch (a slow or retried migrator) finds
 * the records moved on and changes nothing.
 */
export type OwnState = 'none' | 'owned' | 'outgoing' | 'incoming';

export interface OwnRecord {
  state: OwnState;
  epoch: number;
  /** The other group of the move (outgoing: the target; incoming: the source); '' otherwise. */
  peer: string;
}

export interface Piece extends OwnRecord {
  lo: RingId;
  hi: RingId;
}

/** The msgpack-safe form: [loHex, hiHex, state, epoch, peer]. */
export type PieceRow = [lo: string, hi: string, state: OwnState, epoch: number, peer: string];

const MAX = (): RingId => ringSize() - 1n;
const same = (a: OwnRecord, b: OwnRecord): boolean => a.state === b.state && a.epoch === b.epoch && a.peer === b.peer;

export const pieceToRow = (p: Piece): PieceRow => [ringHex(p.lo), ringHex(p.hi), p.state, p.epoch, p.peer];
export const rowToPiece = ([lo, hi, state, epoch, peer]: PieceRow): Piece => ({ lo: BigInt(`0x${lo}`), hi: BigInt(`0x${hi}`), state, epoch, peer });

/** Sorted, disjoint pieces covering the whole ring (adjacent equal records merged). */
export class OwnershipMap {
  private pieces: Piece[];

  constructor(pieces?: readonly Piece[]) {
    this.pieces = pieces !== undefined && pieces.length > 0 ? pieces.map((p) => ({ ...p })) : [{ lo: 0n, hi: MAX(), state: 'none', epoch: 0, peer: '' }];
  }

  static fromRows(rows: readonly PieceRow[]): OwnershipMap {
    return new OwnershipMap(rows.map(rowToPiece));
  }

  rows(): PieceRow[] {
    return this.pieces.map(pieceToRow);
  }

  /** Never touched (the state of a fresh group). */
  isPristine(): boolean {
    return this.pieces.length === 1 && this.pieces[0]!.state === 'none' && this.pieces[0]!.epoch === 0;
  }

  all(): readonly Piece[] {
    return this.pieces;
  }

  recordOf(id: RingId): OwnRecord {
    // Few pieces: a linear scan is fine.
    for (const p of this.pieces) if (p.lo <= id && id <= p.hi) return p;
    throw new Error(`ring id ${id} outside the ring`);
  }

  owns(id: RingId): boolean {
    return this.recordOf(id).state === 'owned';
  }

  /** The pieces overlapping `spans`, clipped to them. */
  slice(spans: readonly IdSpan[]): Piece[] {
    const out: Piece[] = [];
    for (const s of normalizeSpans(spans)) {
      for (const p of this.pieces) {
        if (p.hi < s.lo || p.lo > s.hi) continue;
        out.push({ ...p, lo: p.lo > s.lo ? p.lo : s.lo, hi: p.hi < s.hi ? p.hi : s.hi });
      }
    }
    return out;
  }

  /** The ids in a state (optionally with a given epoch and peer), as spans. */
  spans(state: OwnState, epoch?: number, peer?: string): IdSpan[] {
    return normalizeSpans(
      this.pieces.filter((p) => p.state === state && (epoch === undefined || p.epoch === epoch) && (peer === undefined || p.peer === peer)).map((p) => ({ lo: p.lo, hi: p.hi })),
    );
  }

  /** Sets the record of every id in [lo, hi]. */
  set(lo: RingId, hi: RingId, rec: OwnRecord): void {
    const out: Piece[] = [];
    for (const p of this.pieces) {
      if (p.hi < lo || p.lo > hi) {
        out.push(p);
        continue;
      }
      if (p.lo < lo) out.push({ ...p, hi: lo - 1n });
      if (p.hi > hi) out.push({ ...p, lo: hi + 1n });
    }
    out.push({ lo, hi, state: rec.state, epoch: rec.epoch, peer: rec.peer });
    out.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
    const merged: Piece[] = [];
    for (const p of out) {
      const last = merged[merged.length - 1];
      if (last !== undefined && last.hi + 1n === p.lo && same(last, p)) last.hi = p.hi;
      else merged.push({ ...p });
    }
    this.pieces = merged;
  }
}
