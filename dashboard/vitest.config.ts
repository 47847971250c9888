import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'dashboard',
    environment: 'jsdom',
    include: ['test/**/*.test.{ts,tsx}'],
  },
});
