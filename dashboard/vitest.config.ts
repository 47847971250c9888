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
  },
});
