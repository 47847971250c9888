import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';
import { sourceConditions } from '../configs/vitest-source-conditions.js';

export default defineConfig({
  ...sourceConditions,
  plugins: [react()],
  test: {
    name: 'dashboard',
    environment: 'jsdom',
    include: ['test/**/*.test.{ts,tsx}'],
    setupFiles: ['test/setup.ts'],
    // The 100,000-span tests take ~1 s alone and several when the whole suite shares 2 cores.
    testTimeout: 20_000,
  },
});
