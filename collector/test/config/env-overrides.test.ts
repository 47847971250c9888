import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_OVERRIDES, loadConfig } from '../../src/config/load-config.js';
import { elasticsearchConfigSchema } from '../../src/storage/elasticsearch/config.js';
import { ELASTICSEARCH_ENV_OVERRIDES } from '../../src/storage/elasticsearch/env-overrides.js';

const es = (env: Record<string, string>) => loadConfig({ env }).storage.elasticsearch;

describe('storage settings from the environment', () => {
  it('every storage.elasticsearch setting has a PHOSPHOR_COLLECTOR_ES_* variable', () => {
    const keys = new Set(Object.values(ELASTICSEARCH_ENV_OVERRIDES).map((o) => o.key));
    for (const name of Object.keys(elasticsearchConfigSchema.properties)) {
      if (name === 'auth' || name === 'tls') continue;
      expect(keys, name).toContain(`storage.elasticsearch.${name}`);
    }
    for (const key of [
      'auth.apiKey',
      'auth.username',
      'auth.password',
      'tls.caFile',
      'tls.caFingerprint',
      'tls.verifyCertificate',
    ])
      expect(keys, key).toContain(`storage.elasticsearch.${key}`);
    expect(ENV_OVERRIDES.PHOSPHOR_COLLECTOR_MEMORY_MAX_SPANS?.key).toBe('storage.memory.maxSpans');
  });

  it.each(Object.keys(ENV_OVERRIDES))('%s is documented in collector/README.md', (name) => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`\`${name}\``);
  });

  it('reads lists, numbers, booleans, TLS and an API key', () => {
    const config = es({
      PHOSPHOR_COLLECTOR_ES_NODES: 'https://a:9200, https://b:9200',
      PHOSPHOR_COLLECTOR_ES_BULK_MAX_SPANS: '250',
      PHOSPHOR_COLLECTOR_ES_INSTALL_TEMPLATE: 'false',
      PHOSPHOR_COLLECTOR_ES_CA_FILE: '/etc/es/http_ca.crt',
      PHOSPHOR_COLLECTOR_ES_CA_FINGERPRINT: `${'ab:cd:'.repeat(15)}ef:01`,
      PHOSPHOR_COLLECTOR_ES_API_KEY: 'a2V5OnNlY3JldA==',
      PHOSPHOR_COLLECTOR_ES_SPOOL_FSYNC: 'interval',
    });
    expect(config).toMatchObject({
      nodes: ['https://a:9200', 'https://b:9200'],
      bulkMaxSpans: 250,
      installTemplate: false,
      tls: { caFile: '/etc/es/http_ca.crt', caFingerprint: expect.stringMatching(/^ab:cd/) },
      auth: { apiKey: 'a2V5OnNlY3JldA==' },
      spoolFsync: 'interval',
    });
  });

  it("credentials from the environment replace the file's auth as a whole", () => {
    const config = loadConfig({
      values: { storage: { elasticsearch: { auth: { username: 'file-user', password: 'file-password' } } } },
      env: { PHOSPHOR_COLLECTOR_ES_API_KEY: 'ZW52OmtleQ==' },
    });
    expect(config.storage.elasticsearch.auth).toEqual({ apiKey: 'ZW52OmtleQ==' });
  });

  it('a bad value names the variable and never echoes a secret', () => {
    expect(() => es({ PHOSPHOR_COLLECTOR_ES_BULK_MAX_SPANS: 'many' })).toThrow(
      /PHOSPHOR_COLLECTOR_ES_BULK_MAX_SPANS: must be an integer/,
    );
    expect(() => es({ PHOSPHOR_COLLECTOR_ES_NODES: 'ftp://x' })).toThrow(
      /storage\.elasticsearch\.nodes.*environment variable PHOSPHOR_COLLECTOR_ES_NODES/,
    );
    const secret = 'hunter2-very-secret';
    let message = '';
    try {
      // A password without a user: rejected, and the message must not carry the password.
      es({ PHOSPHOR_COLLECTOR_ES_PASSWORD: secret });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/storage\.elasticsearch\.auth/);
    expect(message).not.toContain(secret);
  });

  it('verification stays on unless turned off explicitly', () => {
    expect(es({}).tls).toEqual({ verifyCertificate: true });
    expect(es({ PHOSPHOR_COLLECTOR_ES_VERIFY_CERTIFICATE: 'false' }).tls).toEqual({ verifyCertificate: false });
  });
});
