// Timestamps along the write path, for finding where one write's time goes
// across processes (bench/raft/README.md, "Tracing one write"). Off unless
// EDGEKV_RAFT_TRACE names a directory; then each process keeps
// [monotonic µs, event, a, b] rows in memory and writes them to
// `<dir>/<m{EDGEKV_RAFT_ID} or p{pid}>.jsonl` when it exits. CLOCK_MONOTONIC
// is shared by the processes of one host, so their rows line up.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = typeof process === 'undefined' ? undefined : process.env.EDGEKV_RAFT_TRACE;

/** Whether tracing is on; callers test it before building a row, so tracing off costs one branch. */
export const tracing = dir !== undefined && dir !== '';

const rows: (string | number)[][] = [];

export function trace(event: string, a: number | string = 0, b: number | string = 0): void {
  rows.push([Number(process.hrtime.bigint() / 1000n), event, a, b]);
}

if (tracing) {
  const name = process.env.EDGEKV_RAFT_ID ? `m${process.env.EDGEKV_RAFT_ID}` : `p${process.pid}`;
  process.on('exit', () => {
    if (rows.length > 0) writeFileSync(join(dir!, `${name}.jsonl`), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  });
}
