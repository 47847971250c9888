import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ES_TARGET_NAMES, requireEsTarget } from '../../../../test/support/elasticsearch-targets.js';
import { buildCollector, type Collector } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { Span } from '../../../src/model/span.js';
import type { ElasticsearchStore } from '../../../src/storage/elasticsearch/index.js';
import { makeTrace } from './span-fixtures.js';

/** The collector built with `storage.type: elasticsearch`: spans stored in the real node come back through the HTTP API. */
describe.each(ES_TARGET_NAMES)('collector API over the Elasticsearch store (real node, %s)', (target) => {
  const spoolDir = mkdtempSync(join(tmpdir(), 'phosphor-es-api-'));
  const prefix = `phosphor-api-${process.pid}-${Date.now().toString(36)}`;
  let collector: Collector | undefined;
  let admin: Client | undefined;

  afterAll(async () => {
    await collector?.close();
    await admin?.indices
      .delete({ index: `${prefix}-*`, allow_no_indices: true, ignore_unavailable: true })
      .catch(() => undefined);
    await admin?.indices.deleteIndexTemplate({ name: prefix }).catch(() => undefined);
    await admin?.close();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  it('GET /api/traces/:id and GET /api/traces read what the store indexed', async () => {
    const es = await requireEsTarget(target);
    admin = new Client(es.adminOptions);
    const config = loadConfig({
      values: {
        udp: { port: 0 },
        http: { port: 0 },
        otlp: { http: { port: 0 }, grpc: { port: 0 } },
        storage: {
          type: 'elasticsearch',
          elasticsearch: { ...es.connection, indexPrefix: prefix, spoolDir, flushIntervalMillis: 50 },
        },
      },
    });
    collector = await buildCollector(config, { logger: pino({ level: 'silent' }) });
    expect(collector.store.name).toBe('elasticsearch');
    const trace = makeTrace(4);
    collector.store.write(trace);
    await (collector.store as ElasticsearchStore).flush();
    await admin.indices.refresh({ index: `${prefix}-*` });

    const one = await collector.http.inject({ method: 'GET', url: `/api/traces/${trace[0]!.traceId}` });
    expect(one.statusCode).toBe(200);
    const body = one.json() as { spans: Span[]; pendingSpanIds: string[] };
    expect(body.spans.map((s) => s.spanId).sort()).toEqual(trace.map((s) => s.spanId).sort());
    expect(body.pendingSpanIds).toEqual([]);

    const search = await collector.http.inject({ method: 'GET', url: '/api/traces?service=store&limit=5' });
    expect(search.statusCode).toBe(200);
    expect(JSON.stringify(search.json())).toContain(trace[0]!.traceId);

    const missing = await collector.http.inject({ method: 'GET', url: '/api/traces/424242424242' });
    expect(missing.statusCode).toBe(404);
  });
});
