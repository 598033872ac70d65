import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{runtime,actors,storage,props,api,cli,bench,topologies}/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores in CI: two test files at a time keeps timing-sensitive tests honest.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
