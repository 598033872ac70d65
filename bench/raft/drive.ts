// Closed-loop load: `concurrency` loops each issue one operation after the
// other for a fixed time; ops/s, p50 and p99 of what completed.
export interface Figures {
  ops: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

function summarize(latencies: number[], seconds: number, errors: number): Figures {
  const s = [...latencies].sort((a, b) => a - b);
  const at = (q: number): number => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
  const round = (x: number): number => Number(x.toFixed(3));
  return { ops: s.length, opsPerSec: Math.round(s.length / seconds), p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), errors };
}

/** Runs `concurrency` loops of `op` until `seconds` have passed; returns per-op latencies. */
export async function drive(concurrency: number, seconds: number, op: (worker: number, i: number) => Promise<void>): Promise<Figures> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        try {
          await op(w, i);
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  return summarize(latencies, seconds, errors);
}
