import { defineConfig } from 'vitest/config';
import { sourceConditions } from '../configs/vitest-source-conditions.js';

export default defineConfig({
  ...sourceConditions,
  test: {
    name: 'collector',
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
