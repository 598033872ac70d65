/**
 * Memory for data blocks read from disk. Blocks are cut from shared 1 MiB
 * slabs rather than each getting its own ArrayBuffer: V8 allocates and tracks
 * small external buffers slowly. A slab whose blocks are all gone is reused
 * for the next reads instead of being left to the garbage collector — at one
 * 4 KiB read per cache miss, a new slab every 250 misses made V8 run a full
 * mark-compact for every ~64 MiB of dropped slabs (measured: ~10% of a
 * point-lookup workload's CPU) and kept tens of MB of dead slabs resident.
 *
 * Reuse is safe only when nothing can still read a slab's bytes, so every
 * holder of a view counts itself in `refs`:
 *  - the block cache, for each cached block cut from the slab (BlockCache
 *    insert/remove, and `rehome` when a block moves);
 *  - a table iterator, for the block it is positioned in (pin/unpin).
 * A point lookup uses its block synchronously, with no read in between, so it
 * needs no count: a slab is only recycled when a later read seals it or
 * drops its last count. A view that is never unpinned (an iterator abandoned
 * without `return()`) only means the slab is never reused: it is then freed
 * by the garbage collector like any buffer.
 */

export const SLAB_BYTES = 1 << 20;
/** Free slabs kept for reuse (shared by every engine of the process). */
const MAX_FREE_SLABS = 4;

export class Slab {
  /** Views counted by their holders (cached blocks, iterator pins). */
  refs = 0;
  /** No longer the slab new reads go to. */
  sealed = false;
  /** When this slab (last) became the current one; rehoming compares ages. */
  gen = 0;
  constructor(readonly buf: Buffer) {}
}

const free: Slab[] = [];
let nextGen = 0;
let cur = fresh();
let used = 0;

function fresh(): Slab {
  const s = free.pop() ?? new Slab(Buffer.allocUnsafeSlow(SLAB_BYTES));
  s.sealed = false;
  s.gen = ++nextGen;
  return s;
}

function recycle(s: Slab): void {
  if (free.length < MAX_FREE_SLABS) free.push(s);
}

/** The slab reads go to now. */
export function currentSlab(): Slab {
  return cur;
}

/** Generation of the current slab. */
export function currentGen(): number {
  return cur.gen;
}

/** Reserves `length` bytes (at most SLAB_BYTES) in the current slab, sealing it and starting another if full; returns the offset. */
export function slabRoom(length: number): number {
  if (used + length > SLAB_BYTES) {
    const old = cur;
    old.sealed = true;
    cur = fresh();
    used = 0;
    if (old.refs === 0) recycle(old);
  }
  const at = used;
  used += length;
  return at;
}

/** Gives back the tail of the last reservation that a short read did not fill. */
export function slabUnreserve(bytes: number): void {
  used -= bytes;
}

export function slabRef(s: Slab | null): void {
  if (s !== null) s.refs++;
}

export function slabUnref(s: Slab | null): void {
  if (s === null) return;
  if (--s.refs === 0 && s.sealed) recycle(s);
}

/** Counts for tests: free slabs held, and the current one's generation. */
export function slabStats(): { free: number; gen: number } {
  return { free: free.length, gen: cur.gen };
}
