import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EsTarget, requireEsTarget } from '../../../../test/support/elasticsearch-targets.js';
import { buildCollector } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { ElasticsearchConfig } from '../../../src/storage/elasticsearch/config.js';
import { createElasticsearchStore, type ElasticsearchStore } from '../../../src/storage/elasticsearch/index.js';
import { captureLogger } from './es-test-support.js';
import { makeTrace } from './span-fixtures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The secured 9.x node as a user meets it: the collector's TLS and credential settings, each wrong in turn,
 * must give an error naming the setting, a KO health check with the reason, spans kept (never rejected), and
 * no secret in any log line.
 */
describe('secured Elasticsearch 9 (HTTPS with its own CA, API key, user/password)', () => {
  let es: EsTarget;
  let secured: NonNullable<EsTarget['secured']>;
  let dir: string;
  let wrongCa: string;
  const prefix = `phosphor-secured-${process.pid}-${Date.now().toString(36)}`;
  const stores: ElasticsearchStore[] = [];
  const logs: Record<string, unknown>[][] = [];
  const secrets: string[] = [];

  beforeAll(async () => {
    es = await requireEsTarget('es9');
    secured = es.secured as NonNullable<EsTarget['secured']>;
    secrets.push(secured.apiKey, secured.password);
    dir = mkdtempSync(join(tmpdir(), 'phosphor-secured-'));
    wrongCa = join(dir, 'other-ca.crt');
    // A real CA that did not sign the node's certificate.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=not-the-elasticsearch-ca',
        '-keyout',
        join(dir, 'other-ca.key'),
        '-out',
        wrongCa,
      ],
      { stdio: 'ignore' },
    );
  });

  afterAll(async () => {
    for (const s of stores) await s.close();
    await es?.request('DELETE', `/${prefix}-*?allow_no_indices=true&ignore_unavailable=true`);
    await es?.request('DELETE', `/_index_template/${prefix}`);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  function open(settings: ElasticsearchConfig): { store: ElasticsearchStore; lines: Record<string, unknown>[] } {
    const { logger, lines } = captureLogger();
    logs.push(lines);
    const store = createElasticsearchStore(
      {
        nodes: [es.url],
        indexPrefix: prefix,
        spoolDir: mkdtempSync(join(dir, 'spool-')),
        flushIntervalMillis: 50,
        retryInitialBackoffMillis: 50,
        retryMaxBackoffMillis: 500,
        retentionCheckIntervalMillis: 0,
        requestTimeoutMillis: 2_000,
        ...settings,
      },
      logger,
    );
    stores.push(store);
    return { store, lines };
  }

  /** Health once the index template is in (a fresh store is Degraded until then). */
  async function settled(store: ElasticsearchStore) {
    for (let i = 0; i < 100 && store.stats().templateInstalled === 0; i++) await sleep(50);
    return ping(store);
  }

  async function ping(store: ElasticsearchStore) {
    const health = await store.health();
    return { status: health.status, error: health.tests.find((t) => t.name === 'ping')?.error ?? '' };
  }

  it('indexes with the API key over HTTPS verified by the CA file, and by the CA fingerprint alone', async () => {
    for (const tls of [{ caFile: secured.caFile }, { caFingerprint: secured.caFingerprint }]) {
      const { store } = open({ tls, auth: { apiKey: secured.apiKey } });
      const trace = makeTrace(3);
      store.write(trace);
      await store.flush();
      expect(store.stats().indexedSpans).toBe(3);
      expect(await settled(store)).toEqual({ status: 'OK', error: '' });
    }
  });

  it('a wrong CA file: COL_ERR_ES_TLS naming tls.caFile, health KO, spans kept', async () => {
    const { store, lines } = open({ tls: { caFile: wrongCa }, auth: { apiKey: secured.apiKey } });
    store.write(makeTrace(2));
    const { status, error } = await ping(store);
    expect(status).toBe('KO');
    expect(error).toMatch(
      /^COL_ERR_ES_TLS: storage\.elasticsearch\.tls\.caFile: cannot verify the node's TLS certificate/,
    );
    await sleep(300);
    expect(store.stats().rejectedSpans).toBe(0);
    expect(lines.some((l) => String(l.msg).includes('storage.elasticsearch.tls.caFile'))).toBe(true);
  });

  it('no CA configured (only the system CAs): the error says to set tls.caFile', async () => {
    const { store } = open({ auth: { apiKey: secured.apiKey } });
    const { status, error } = await ping(store);
    expect(status).toBe('KO');
    expect(error).toMatch(/COL_ERR_ES_TLS: storage\.elasticsearch\.tls\.caFile: .*tls\.caFile is not set/);
  });

  it('a wrong CA fingerprint: COL_ERR_ES_TLS naming tls.caFingerprint', async () => {
    const wrong = secured.caFingerprint.replace(/^../, secured.caFingerprint.startsWith('00') ? '11' : '00');
    const { store } = open({ tls: { caFingerprint: wrong }, auth: { apiKey: secured.apiKey } });
    const { status, error } = await ping(store);
    expect(status).toBe('KO');
    expect(error).toMatch(/^COL_ERR_ES_TLS: storage\.elasticsearch\.tls\.caFingerprint:/);
  });

  it('a bad API key: COL_ERR_ES_AUTH naming auth.apiKey; spans are kept and retried, never rejected', async () => {
    const badKey = Buffer.from('not-an-id:not-a-key').toString('base64');
    secrets.push(badKey);
    const { store, lines } = open({ tls: { caFile: secured.caFile }, auth: { apiKey: badKey } });
    store.write(makeTrace(4));
    const { status, error } = await ping(store);
    expect(status).toBe('KO');
    expect(error).toMatch(/^COL_ERR_ES_AUTH: storage\.elasticsearch\.auth\.apiKey: Elasticsearch refused the API key/);
    await sleep(500);
    expect(store.stats().rejectedSpans).toBe(0);
    expect(store.stats().queuedSpans + store.stats().spoolPendingSpans).toBeGreaterThan(0);
    expect(lines.some((l) => String(l.msg).includes('storage.elasticsearch.auth.apiKey'))).toBe(true);
  });

  it('an expired API key: COL_ERR_ES_AUTH naming auth.apiKey, with the server saying it expired', async () => {
    const created = await es.request('POST', '/_security/api_key', {
      name: `${prefix}-short-lived`,
      expiration: '1s',
      role_descriptors: {},
    });
    expect(created.status).toBe(200);
    const key = (created.body as { encoded: string }).encoded;
    secrets.push(key);
    await sleep(1_500);
    const { store } = open({ tls: { caFile: secured.caFile }, auth: { apiKey: key } });
    const { status, error } = await ping(store);
    expect(status).toBe('KO');
    expect(error).toMatch(/^COL_ERR_ES_AUTH: storage\.elasticsearch\.auth\.apiKey: .*expired/);
  });

  it('a wrong password: COL_ERR_ES_AUTH naming auth.password; the right one works', async () => {
    const wrong = `${secured.password}-wrong`;
    secrets.push(wrong);
    const bad = open({ tls: { caFile: secured.caFile }, auth: { username: secured.username, password: wrong } });
    const { status, error } = await ping(bad.store);
    expect(status).toBe('KO');
    expect(error).toMatch(
      new RegExp(
        `^COL_ERR_ES_AUTH: storage\\.elasticsearch\\.auth\\.password: Elasticsearch refused user "${secured.username}"`,
      ),
    );
    const good = open({
      tls: { caFile: secured.caFile },
      auth: { username: secured.username, password: secured.password },
    });
    expect((await settled(good.store)).status).toBe('OK');
  });

  it('no credentials: COL_ERR_ES_AUTH naming auth', async () => {
    const { store } = open({ tls: { caFile: secured.caFile } });
    expect((await ping(store)).error).toMatch(
      /^COL_ERR_ES_AUTH: storage\.elasticsearch\.auth: the cluster requires credentials/,
    );
  });

  it('a collector configured only from the environment reaches the node; /health shows KO with the reason for a bad key', async () => {
    const env = (apiKey: string) => ({
      PHOSPHOR_COLLECTOR_STORAGE: 'elasticsearch',
      PHOSPHOR_COLLECTOR_ES_NODES: es.url,
      PHOSPHOR_COLLECTOR_ES_CA_FILE: secured.caFile,
      PHOSPHOR_COLLECTOR_ES_API_KEY: apiKey,
      PHOSPHOR_COLLECTOR_ES_INDEX_PREFIX: prefix,
      PHOSPHOR_COLLECTOR_ES_SPOOL_DIR: mkdtempSync(join(dir, 'spool-')),
      PHOSPHOR_COLLECTOR_UDP_PORT: '0',
      PHOSPHOR_COLLECTOR_HTTP_PORT: '0',
    });
    const { logger, lines } = captureLogger();
    logs.push(lines);
    for (const [apiKey, expected] of [
      [secured.apiKey, 'OK'],
      [Buffer.from('revoked:key').toString('base64'), 'KO'],
    ] as const) {
      const collector = await buildCollector(loadConfig({ env: env(apiKey) }), { logger });
      try {
        const store = collector.store as ElasticsearchStore;
        for (let i = 0; i < 100 && expected === 'OK' && store.stats().templateInstalled === 0; i++) await sleep(50);
        const summary = (await collector.http.inject({ method: 'GET', url: '/health' })).json() as Record<
          string,
          string
        >;
        expect(summary.elasticsearch).toBe(expected);
        const tests = (await collector.http.inject({ method: 'GET', url: '/health/elasticsearch' })).json() as {
          name: string;
          error?: string;
        }[];
        const pingTest = tests.find((t) => t.name === 'ping');
        if (expected === 'KO') expect(pingTest?.error).toMatch(/COL_ERR_ES_AUTH: storage\.elasticsearch\.auth\.apiKey/);
        else expect(pingTest?.error).toBeUndefined();
      } finally {
        await collector.close();
      }
    }
  });

  it('no password or API key (right, wrong or expired) appears in any log line of the stores and collectors above', async () => {
    for (const s of stores.splice(0)) await s.close();
    const text = JSON.stringify(logs);
    expect(logs.flat().length).toBeGreaterThan(5);
    for (const secret of secrets) expect(text).not.toContain(secret);
  }, 60_000);
});
