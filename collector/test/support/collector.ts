import { buildCollector, type Collector } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';

/** A collector on free ports with a silent logger; `values` override config keys (merged deeply). */
export async function testCollector(values: Record<string, unknown> = {}): Promise<Collector> {
  const base = {
    udp: { port: 0 },
    http: { port: 0 },
    otlp: { http: { port: 0 }, grpc: { port: 0 } },
    logging: { level: 'silent' },
    dashboard: { distDir: '/nonexistent-dashboard' },
  };
  return buildCollector(loadConfig({ values: deepMerge(base, values) }));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `override` on top of `base`, objects merged key by key (a port 0 deep down survives a sibling override). */
function deepMerge(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key];
    merged[key] = isObject(current) && isObject(value) ? deepMerge(current, value) : value;
  }
  return merged;
}
