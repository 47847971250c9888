import { buildCollector, type Collector } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';

/** A collector on free ports with a silent logger; `values` override config sections. */
export async function testCollector(values: Record<string, unknown> = {}): Promise<Collector> {
  const base = {
    udp: { port: 0 },
    http: { port: 0 },
    otlp: { http: { port: 0 }, grpc: { port: 0 } },
    logging: { level: 'silent' },
    dashboard: { distDir: '/nonexistent-dashboard' },
  };
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(values)) {
    const current = merged[key];
    merged[key] =
      typeof current === 'object' &&
      current !== null &&
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value)
        ? { ...current, ...value }
        : value;
  }
  return buildCollector(loadConfig({ values: merged }));
}
