import { defineConfig } from 'vitest/config';

// The cluster suite (`npm run test:cluster`): against the cluster of `npm run cluster:up`. One file at a time: a test
// that restarts a Temporal service must not disturb another file's run on the same cluster.
export default defineConfig({
  test: {
    pool: 'forks',
    fileParallelism: false,
    include: ['test/cluster/**/*.cluster.ts'],
    testTimeout: 600_000,
    hookTimeout: 180_000,
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
