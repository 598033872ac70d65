// Entry for every worker thread: registers tsx so the worker can load the
// project's TypeScript sources directly, then imports the real entry module
// named in workerData.__entry. Keeps one code path for `tsx`, vitest and CI.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.__entry);
