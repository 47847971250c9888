import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { CollectorError } from '../../src/errors.js';

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'phosphor-config-'));
  const file = join(dir, 'collector.yml');
  writeFileSync(file, text);
  return file;
}

function errorOf(fn: () => unknown): CollectorError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CollectorError) return err;
    throw err;
  }
  throw new Error('expected a CollectorError');
}

describe('loadConfig', () => {
  it('fills every default from an empty config', () => {
    const config = loadConfig();
    expect(config.udp).toMatchObject({ host: '127.0.0.1', port: 7760, maxDatagramBytes: 65_507 });
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 7761, bodyLimitBytes: 65_536 });
    expect(config.assembly).toMatchObject({ skewCorrection: true, spanTimeoutMillis: 5000 });
    expect(config.aggregates.windowsMinutes).toEqual([1, 5, 15]);
    expect(config.storage.type).toBe('memory');
    expect(config.influx.enabled).toBe(false);
  });

  it('reads the shipped configs/collector.yml and resolves distDir against its folder', () => {
    const file = new URL('../../../configs/collector.yml', import.meta.url).pathname;
    const config = loadConfig({ file });
    expect(config.dashboard.distDir).toBe(new URL('../../../dashboard/dist', import.meta.url).pathname);
    expect(config.udp.port).toBe(7760);
  });

  it('the shipped configs/collector.yml documents exactly the built-in defaults', () => {
    const file = new URL('../../../configs/collector.yml', import.meta.url).pathname;
    const withoutDist = (config: ReturnType<typeof loadConfig>) => ({
      ...config,
      dashboard: { ...config.dashboard, distDir: undefined },
    });
    expect(withoutDist(loadConfig({ file, env: {} }))).toEqual(withoutDist(loadConfig({ env: {} })));
  });

  it('rejects an unknown key, naming it', () => {
    const err = errorOf(() => loadConfig({ file: yamlFile('udp:\n  prot: 1\n') }));
    expect(err.code).toBe('COL_ERR_CONFIG_UNKNOWN_KEY');
    expect(err.field).toBe('udp.prot');
    expect(err.message).toContain('udp.prot');
  });

  it.each([
    ['udp:\n  port: 70000\n', 'udp.port'],
    ['http:\n  port: "x"\n', 'http.port'],
    ['storage:\n  type: mongo\n', 'storage.type'],
    ['aggregates:\n  windowsMinutes: []\n', 'aggregates.windowsMinutes'],
    ['assembly:\n  skewCorrection: maybe\n', 'assembly.skewCorrection'],
    ['http:\n  bearerToken: short\n', 'http.bearerToken'],
  ])('rejects a bad value %j naming %s', (yaml, key) => {
    const err = errorOf(() => loadConfig({ file: yamlFile(yaml) }));
    expect(err.code).toBe('COL_ERR_CONFIG_INVALID');
    expect(err.field).toBe(key);
  });

  it('reports YAML syntax errors with the file and line', () => {
    const err = errorOf(() => loadConfig({ file: yamlFile('udp:\n  port: [1,\n') }));
    expect(err.code).toBe('COL_ERR_CONFIG_PARSE');
    expect(err.message).toMatch(/collector\.yml \(line \d+\)/);
  });

  it('reports a missing file', () => {
    expect(errorOf(() => loadConfig({ file: '/nonexistent/collector.yml' })).code).toBe('COL_ERR_CONFIG_READ');
  });

  it('applies env over file and flags over env', () => {
    const file = yamlFile('udp:\n  port: 1000\nhttp:\n  port: 2000\n');
    const config = loadConfig({
      file,
      env: { PHOSPHOR_COLLECTOR_UDP_PORT: '3000', PHOSPHOR_COLLECTOR_HTTP_PORT: '4000', PATH: '/bin' },
      overrides: { 'http.port': 5000 },
    });
    expect(config.udp.port).toBe(3000);
    expect(config.http.port).toBe(5000);
  });

  it('names the environment variable behind a bad value, and rejects unknown variables', () => {
    const bad = errorOf(() => loadConfig({ env: { PHOSPHOR_COLLECTOR_STORAGE: 'nope' } }));
    expect(bad.message).toContain('PHOSPHOR_COLLECTOR_STORAGE');
    expect(bad.field).toBe('storage.type');
    const unknown = errorOf(() => loadConfig({ env: { PHOSPHOR_COLLECTOR_UDP_PROT: '1' } }));
    expect(unknown.code).toBe('COL_ERR_CONFIG_ENV');
    expect(unknown.field).toBe('PHOSPHOR_COLLECTOR_UDP_PROT');
    expect(errorOf(() => loadConfig({ env: { PHOSPHOR_COLLECTOR_UDP_PORT: '12a' } })).code).toBe('COL_ERR_CONFIG_ENV');
  });
});
