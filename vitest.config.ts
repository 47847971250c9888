import { defineConfig } from 'vitest/config';

// One vitest run covers every workspace package; each package keeps its own config for
// package-specific settings (the dashboard runs in jsdom).
export default defineConfig({
  test: {
    projects: ['wire', 'service-kit', 'tracer-lib', 'collector', 'services/*', 'dashboard', 'test'],
  },
});
