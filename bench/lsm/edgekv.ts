import { rmSync } from 'node:fs';
import { SeededRandom } from '../../runtime/random.js';
import { PoolService } from '../../runtime/pool.js';
import { LsmEngine } from '../../storage/engine.js';
import { NodeFileSystem } from '../../storage/fs-node.js';
import { PoolJobRunner, STORAGE_POOL_TASKS } from '../../storage/job-runner.js';
import { LatencyRecorder, makeKey, mixgraphKey, perSecond, ValueSource, workloadResult, yieldTurn, type LsmBenchParams, type Workload, type WorkloadResult } from './workload.js';

/** Our engine as a node would run it: real disk, flushes and merges on piscina threads. */
export async function runEdgekv(workload: Workload, p: LsmBenchParams, dir: string): Promise<WorkloadResult> {
  if (workload === 'fillrandom') rmSync(dir, { recursive: true, force: true });
  // RocksDB's split: one thread for merges, one (high priority) for flushes.
  const pool = new PoolService({ tasks: STORAGE_POOL_TASKS, maxThreads: 1, minThreads: 1 });
  const flushPool = new PoolService({ tasks: STORAGE_POOL_TASKS, maxThreads: 1, minThreads: 1 });
  // Threads up and task modules compiled before the clock starts, as db_bench's threads are.
  const table = { blockSizeBytes: 4096, blockRestartInterval: 16, bloomBitsPerKey: 10 };
  for (const p of [pool, flushPool]) {
    await p.warmUp('lsm-flush', { chunks: [], index: new Float64Array(0), count: 0, table });
    await p.warmUp('lsm-compaction', { inputs: [], targetFileSizeBytes: 1 << 20, dropTombstones: false, table });
  }
  const engine = await LsmEngine.open({ fs: new NodeFileSystem(), dir, jobs: new PoolJobRunner(pool, flushPool) });
  try {
    const result = await run(engine, workload, p);
    const st = engine.stats();
    result.stall_ms = Number(st.stall.totalMs.toFixed(1));
    result.stall_by_cause_ms = Object.fromEntries(Object.entries(st.stall.byCauseMs).map(([k, v]) => [k, Number(v.toFixed(1))]));
    result.extra = {
      ...result.extra,
      levels: st.levels.filter((l) => l.files > 0).map((l) => `L${l.level}:${l.files}`).join(' '),
      flushes: st.flushes,
      compactions: st.compactions,
      block_cache_hit_rate: Number((st.blockCache.hits / Math.max(1, st.blockCache.hits + st.blockCache.misses)).toFixed(3)),
    };
    return result;
  } finally {
    await engine.close();
    await pool.close();
    await flushPool.close();
  }
}

async function run(e: LsmEngine, workload: Workload, p: LsmBenchParams): Promise<WorkloadResult> {
  const values = new ValueSource(p.valueSize, p.seed + 1);
  switch (workload) {
    case 'fillrandom': {
      const r = new SeededRandom(p.seed);
      const lat = new LatencyRecorder(p.num);
      const submitted = new Float64Array(p.inflight);
      const t0 = performance.now();
      for (let i = 0; i < p.num; i += p.inflight) {
        const n = Math.min(p.inflight, p.num - i);
        const ps: Promise<void>[] = [];
        for (let j = 0; j < n; j++) {
          submitted[j] = performance.now();
          ps.push(e.put('local', makeKey(r.int(p.num), p.keySize), values.next()));
        }
        await Promise.all(ps);
        const done = performance.now();
        for (let j = 0; j < n; j++) lat.add(done - submitted[j]!);
      }
      const elapsed = performance.now() - t0;
      return workloadResult(workload, p.num, elapsed, lat);
    }
    case 'readrandom': {
      const r = new SeededRandom(p.seed + 7);
      const lat = new LatencyRecorder(p.num);
      let found = 0;
      const t0 = performance.now();
      for (let i = 0; i < p.num; i++) {
        const s = performance.now();
        if (e.get('local', makeKey(r.int(p.num), p.keySize)) !== undefined) found++;
        lat.add(performance.now() - s);
      }
      const elapsed = performance.now() - t0;
      return workloadResult(workload, p.num, elapsed, lat, { found });
    }
    case 'readwhilewriting': {
      const r = new SeededRandom(p.seed + 11);
      const w = new SeededRandom(p.seed + 13);
      const lat = new LatencyRecorder(p.readWhileWritingOps);
      let readerDone = false;
      let writes = 0;
      const writer = (async () => {
        while (!readerDone) {
          const ps: Promise<void>[] = [];
          for (let j = 0; j < p.inflight; j++) ps.push(e.put('local', makeKey(w.int(p.num), p.keySize), values.next()));
          await Promise.all(ps);
          writes += p.inflight;
        }
      })();
      let found = 0;
      const t0 = performance.now();
      for (let i = 0; i < p.readWhileWritingOps; i++) {
        const s = performance.now();
        if (e.get('local', makeKey(r.int(p.num), p.keySize)) !== undefined) found++;
        lat.add(performance.now() - s);
        // One event loop serves both: the writer gets a turn (one window of puts) every 256 reads.
        if (i % 256 === 255) await yieldTurn();
      }
      const elapsed = performance.now() - t0;
      readerDone = true;
      await writer;
      return workloadResult(workload, p.readWhileWritingOps, elapsed, lat, { writes_per_sec: perSecond(writes, elapsed), found });
    }
    case 'mixgraph': {
      const r = new SeededRandom(p.seed + 17);
      const lat = new LatencyRecorder(p.mixOps);
      const counts = { gets: 0, puts: 0, seeks: 0, found: 0 };
      const t0 = performance.now();
      for (let i = 0; i < p.mixOps; i += p.inflight) {
        const n = Math.min(p.inflight, p.mixOps - i);
        const ps: Promise<void>[] = [];
        const putStarts: number[] = [];
        for (let j = 0; j < n; j++) {
          const u = r.next();
          const key = makeKey(mixgraphKey(r, p.num), p.keySize);
          const s = performance.now();
          if (u < p.mixGetRatio) {
            counts.gets++;
            if (e.get('local', key) !== undefined) counts.found++;
            lat.add(performance.now() - s);
          } else if (u < p.mixGetRatio + p.mixPutRatio) {
            counts.puts++;
            putStarts.push(s);
            ps.push(e.put('local', key, values.next()));
          } else {
            counts.seeks++;
            e.scan('local', { start: key, limit: 1 + r.int(p.mixScanLength) });
            lat.add(performance.now() - s);
          }
        }
        if (ps.length > 0) {
          await Promise.all(ps);
          const done = performance.now();
          for (const s of putStarts) lat.add(done - s);
        }
      }
      const elapsed = performance.now() - t0;
      return workloadResult(workload, p.mixOps, elapsed, lat, { found: counts.found, extra: counts });
    }
  }
}
