import { defineConfig } from 'vitest/config';

// Slow scale tests: run by `npm run test:slow` (and by CI after the quick suite).
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/**/*.slow.test.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
