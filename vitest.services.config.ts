import { defineConfig } from 'vitest/config';

// `npm run test:services`: the tests that need a real server (Redis for the BullMQ corpus mode).
// They start their own processes and a server (or use MMALIGN_TEST_REDIS_URL), one file at a time.
export default defineConfig({
  test: {
    include: ['test/services/**/*.test.ts'],
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 240_000,
  },
});
