import { configDefaults, defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  resolve: {
    // Tests exercise the source, not a possibly stale dist/ build.
    alias: { mmalign: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Tests that need a server run in their own suite: npm run test:services (vitest.services.config.ts).
    exclude: [...configDefaults.exclude, 'test/services/**'],
    // Two cores: ONNX sessions and ffmpeg already use both; more workers only thrash.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
