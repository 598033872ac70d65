export { WorkloadDriver, type DriverClock, type KvOps, type LoadResult, type WorkloadDriverOptions } from './driver.js';
export { benchKey, benchPreloadKeys, maxSeekLength, mixgraphMix, ycsbKey } from './ops.js';
export { latencyStats, OpWindow, percentile } from './stats.js';
