import type { Entry, Snapshot } from './types.js';

/**
 * Entries (and possibly an incoming snapshot) the core has accepted but the
 * member has not yet made durable. `entries[i]` has index `offset + i`.
 */
export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  /** First index only known when a snapshot is pending here. */
  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.meta.index + 1 : undefined;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot ? this.snapshot.meta.index : undefined;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      if (this.snapshot && this.snapshot.meta.index === i) return this.snapshot.meta.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset]!.term;
  }

  /**
   * The member persisted entries through `(index, term)`. The term check
   * matters: if the entry at `index` was replaced after that Ready was cut,
   * the newer one is still unstable.
   */
  stableTo(index: number, term: number): void {
    const t = this.maybeTerm(index);
    if (t === undefined || t !== term || index < this.offset) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapTo(index: number): void {
    if (this.snapshot && this.snapshot.meta.index === index) this.snapshot = undefined;
  }

  restore(s: Snapshot): void {
    this.offset = s.meta.index + 1;
    this.entries = [];
    this.snapshot = s;
  }

  /** Appends, replacing any suffix that `ents` overlaps (the caller has checked it is a real conflict). */
  truncateAndAppend(ents: readonly Entry[]): void {
    const first = ents[0]!.index;
    if (first === this.offset + this.entries.length) {
      this.entries.push(...ents);
    } else if (first <= this.offset) {
      // Everything unstable is replaced; stable entries from `first` on are overridden too.
      this.offset = first;
      this.entries = [...ents];
    } else {
      this.entries = this.entries.slice(0, first - this.offset);
      this.entries.push(...ents);
    }
  }

  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
