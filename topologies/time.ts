// Durations and instants in a topology: seconds as a number, or a string with
// a unit ("1500ms", "90s", "2m").
const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** Milliseconds from a TimeSpec; throws with a plain message on anything else. */
export function parseTime(v: unknown): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new Error(`must be a number of seconds ≥ 0, got ${v}`);
    return v * 1000;
  }
  if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$/.exec(v);
    if (m !== null) return Number(m[1]) * units[m[2]!]!;
  }
  throw new Error(`must be seconds (a number) or a string like "1500ms", "90s", "2m"; got ${JSON.stringify(v)}`);
}
