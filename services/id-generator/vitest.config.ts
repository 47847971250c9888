import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'id-generator',
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
