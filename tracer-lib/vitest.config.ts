import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'tracer-lib',
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
