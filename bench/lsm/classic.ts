import { rmSync } from 'node:fs';
import { ClassicLevel } from 'classic-level';
import { SeededRandom } from '../../runtime/random.js';
import { LatencyRecorder, makeKey, mixgraphKey, perSecond, ValueSource, workloadResult, yieldTurn, type LsmBenchParams, type Workload, type WorkloadResult } from './workload.js';

type Db = ClassicLevel<Buffer, Buffer>;

/** The Node baseline: LevelDB through classic-level, no compression, `inflight` operations at a time. */
export async function runClassic(workload: Workload, p: LsmBenchParams, dir: string): Promise<WorkloadResult> {
  if (workload === 'fillrandom') rmSync(dir, { recursive: true, force: true });
  const db: Db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer', compression: false } as never);
  await db.open();
  try {
    return await run(db, workload, p);
  } finally {
    await db.close();
  }
}

async function getOrUndefined(db: Db, key: Buffer): Promise<Buffer | undefined> {
  const v = await db.get(key);
  return v ?? undefined;
}

async function run(db: Db, workload: Workload, p: LsmBenchParams): Promise<WorkloadResult> {
  const values = new ValueSource(p.valueSize, p.seed + 1);
  const timed = async <T>(lat: LatencyRecorder, f: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    const v = await f();
    lat.add(performance.now() - s);
    return v;
  };
  switch (workload) {
    case 'fillrandom': {
      const r = new SeededRandom(p.seed);
      const lat = new LatencyRecorder(p.num);
      const t0 = performance.now();
      for (let i = 0; i < p.num; i += p.inflight) {
        const ps: Promise<void>[] = [];
        for (let j = 0; j < Math.min(p.inflight, p.num - i); j++) {
          const key = makeKey(r.int(p.num), p.keySize);
          const value = Buffer.from(values.next());
          ps.push(timed(lat, () => db.put(key, value)));
        }
        await Promise.all(ps);
      }
      const elapsed = performance.now() - t0;
      return workloadResult(workload, p.num, elapsed, lat);
    }
    case 'readrandom': {
      const r = new SeededRandom(p.seed + 7);
      const lat = new LatencyRecorder(p.num);
      let found = 0;
      const t0 = performance.now();
      for (let i = 0; i < p.num; i += p.inflight) {
        const ps: Promise<Buffer | undefined>[] = [];
        for (let j = 0; j < Math.min(p.inflight, p.num - i); j++) {
          const key = makeKey(r.int(p.num), p.keySize);
          ps.push(timed(lat, () => getOrUndefined(db, key)));
        }
        for (const v of await Promise.all(ps)) if (v !== undefined) found++;
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
          for (let j = 0; j < p.inflight; j++) ps.push(db.put(makeKey(w.int(p.num), p.keySize), Buffer.from(values.next())));
          await Promise.all(ps);
          writes += p.inflight;
          await yieldTurn();
        }
      })();
      let found = 0;
      const t0 = performance.now();
      for (let i = 0; i < p.readWhileWritingOps; i += p.inflight) {
        const ps: Promise<Buffer | undefined>[] = [];
        for (let j = 0; j < Math.min(p.inflight, p.readWhileWritingOps - i); j++) {
          const key = makeKey(r.int(p.num), p.keySize);
          ps.push(timed(lat, () => getOrUndefined(db, key)));
        }
        for (const v of await Promise.all(ps)) if (v !== undefined) found++;
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
        const ps: Promise<unknown>[] = [];
        for (let j = 0; j < Math.min(p.inflight, p.mixOps - i); j++) {
          const u = r.next();
          const key = makeKey(mixgraphKey(r, p.num), p.keySize);
          if (u < p.mixGetRatio) {
            counts.gets++;
            ps.push(timed(lat, () => getOrUndefined(db, key)).then((v) => v !== undefined && counts.found++));
          } else if (u < p.mixGetRatio + p.mixPutRatio) {
            counts.puts++;
            const value = Buffer.from(values.next());
            ps.push(timed(lat, () => db.put(key, value)));
          } else {
            counts.seeks++;
            const limit = 1 + r.int(p.mixScanLength);
            ps.push(timed(lat, () => db.iterator({ gte: key, limit }).all()));
          }
        }
        await Promise.all(ps);
      }
      const elapsed = performance.now() - t0;
      return workloadResult(workload, p.mixOps, elapsed, lat, { found: counts.found, extra: counts });
    }
  }
}
