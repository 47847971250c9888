import { defineConfig } from 'vitest/config';
import { sourceConditions } from '../configs/vitest-source-conditions.js';

export default defineConfig({
  ...sourceConditions,
  test: {
    name: 'system',
    include: ['**/*.test.ts'],
    globalSetup: ['support/build-packages.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // System tests share real backends and ports; run files one at a time.
    fileParallelism: false,
  },
});
