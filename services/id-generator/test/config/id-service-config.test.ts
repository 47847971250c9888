import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadIdServiceConfig, parseHostPort, resolveIdServiceConfig } from '../../src/config/id-service-config.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

describe('id service config', () => {
  it('fills every default from an empty document', () => {
    const config = resolveIdServiceConfig(undefined);
    expect(config.service).toEqual({
      name: 'id-generator',
      httpHostPort: '0.0.0.0:8888',
      grpcHostPort: '0.0.0.0:5555',
    });
    expect(config.ids.epoch).toBe('2017-01-01T00:00:00Z');
    expect(config.lease.ttlMillis).toBe(10_000);
    expect(config.logging.redis.key).toBe('logstash');
    expect(config.tracing.collectors).toEqual(['127.0.0.1:7760']);
  });

  it('the shipped configs/id-generator.yml is valid and equals the defaults', async () => {
    const shipped = await loadIdServiceConfig(path.join(repoRoot, 'configs/id-generator.yml'));
    expect(shipped).toEqual(resolveIdServiceConfig({}));
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['node id out of range', { ids: { nodeId: 4 } }, /ids\.nodeId: must be <= 3/],
    ['unknown key', { service: { port: 1 } }, /service\.port: unknown key/],
    ['bad host:port', { service: { httpHostPort: '8888' } }, /service\.httpHostPort: must match/],
    ['bad epoch', { ids: { epoch: 'yesterday' } }, /ids\.epoch must be an ISO-8601 date/],
    [
      'renew too slow',
      { lease: { ttlMillis: 1000, failClosedMarginMillis: 500, renewIntervalMillis: 600 } },
      /renewIntervalMillis/,
    ],
    ['redis url scheme', { redis: { url: 'http://x' } }, /redis\.url: must match/],
    ['sample rate', { tracing: { sampleRate: 2 } }, /tracing\.sampleRate: must be <= 1/],
    [
      'attributes not a boolean or list',
      { tracing: { attributes: 'yes' } },
      /tracing\.attributes: must be boolean,array/,
    ],
  ];
  for (const [name, raw, message] of bad) {
    it(`rejects ${name} naming the field`, () => {
      expect(() => resolveIdServiceConfig(raw, 'test.yml')).toThrow(message);
      expect(() => resolveIdServiceConfig(raw, 'test.yml')).toThrow(/IDG_ERR_CONFIG_INVALID: test.yml/);
    });
  }

  it('reports an unreadable file with its path', async () => {
    await expect(loadIdServiceConfig('/nonexistent/id.yml')).rejects.toThrow(/\/nonexistent\/id.yml: cannot read/);
  });

  it('parses host:port', () => {
    expect(parseHostPort('127.0.0.1:0', 'x')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(() => parseHostPort('h:70000', 'service.httpHostPort')).toThrow(
      /service.httpHostPort port must be 0..65535/,
    );
  });
});
