/**
 * The whole data path with every real backend: an untraced client calls the demo gateway → quote service →
 * ID service (gRPC and HTTP); each service's tracer sends REQ/IN/OUT/REP over UDP to the collector, which stores
 * spans in Elasticsearch and serves them through its API to the dashboard in Chromium. The correlation id the
 * gateway echoes must be an id the ID service issued, and it must tie together the trace (API + Elasticsearch),
 * the ID service's log lines (Redis, Logstash shape) and its metric points (VictoriaMetrics, Influx v2 write API).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCollector, type Collector, loadConfig, type Span } from '@phosphor/collector';
import { type RunningDemo, startDemo } from '@phosphor/demo-services';
import { resolveIdServiceConfig } from '@phosphor/id-generator';
import { Redis } from 'ioredis';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBackend } from '../support/backends.js';
import { ES_TARGET_NAMES, type EsTarget, requireEsTarget } from '../support/elasticsearch-targets.js';
import { CHROMIUM_ARGS, poll } from '../support/helpers.js';
import { type ExportedSeries, exportSeries } from '../support/victoria-metrics.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = `${ROOT}dashboard/dist`;
const SHOTS = `${ROOT}test/artifacts/screenshots`;
const RUN = `${Date.now().toString(36)}${process.pid}`;
const INDEX_PREFIX = `phosphor-e2e-${RUN}`;
const LOG_KEY = `phosphor:e2e:${RUN}:logs`;
const LEASE_PREFIX = `phosphor:e2e:${RUN}:lease`;

interface LogstashEvent {
  '@timestamp': string;
  '@version': string;
  message: string;
  correlation_id?: string;
  [field: string]: unknown;
}

let es: EsTarget | undefined;
let influxUrl: string;
let redis: Redis;
let collector: Collector;
let apiUrl: string;
let demo: RunningDemo;
let spoolDir: string;
let correlationId: string;

/** Joins the hi/lo correlation fields written at the same timestamp under the same labels. */
async function correlationIdsInMetrics(): Promise<Set<string>> {
  const [his, los] = await Promise.all([
    exportSeries(influxUrl, '{__name__="idgen_requests_correlation_id_hi",service="id-generator"}'),
    exportSeries(influxUrl, '{__name__="idgen_requests_correlation_id_lo",service="id-generator"}'),
  ]);
  const hiByKey = new Map<string, number>();
  const labelsOf = (s: ExportedSeries) => JSON.stringify({ ...s.metric, __name__: undefined });
  for (const s of his) {
    for (const [i, t] of s.timestamps.entries()) hiByKey.set(`${labelsOf(s)}@${t}`, s.values[i]!);
  }
  const ids = new Set<string>();
  for (const s of los) {
    for (const [i, t] of s.timestamps.entries()) {
      const hi = hiByKey.get(`${labelsOf(s)}@${t}`);
      if (hi !== undefined) ids.add(((BigInt(hi) << 32n) | BigInt(s.values[i]!)).toString());
    }
  }
  return ids;
}

describe.each(ES_TARGET_NAMES)(
  'end to end: demo services → tracer → UDP → collector → Elasticsearch (%s) → API → dashboard',
  (target) => {
    beforeAll(async () => {
      const [node, influx] = await Promise.all([requireEsTarget(target), requireBackend('influx')]);
      es = node;
      influxUrl = influx;
      redis = new Redis(await requireBackend('redis'), { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      if (!existsSync(`${DIST}/index.html`)) {
        throw new Error(
          `${DIST}/index.html is missing: build the dashboard first (npm run build -w dashboard; npm test does)`,
        );
      }
      spoolDir = mkdtempSync(join(tmpdir(), 'phosphor-e2e-spool-'));
      collector = await buildCollector(
        loadConfig({
          values: {
            udp: { port: 0 },
            http: { port: 0 },
            otlp: { http: { port: 0 }, grpc: { port: 0 } },
            storage: {
              type: 'elasticsearch',
              elasticsearch: { ...node.connection, indexPrefix: INDEX_PREFIX, spoolDir, flushIntervalMillis: 100 },
            },
            assembly: { spanTimeoutMillis: 2000 },
            dashboard: { distDir: DIST },
            logging: { level: 'silent' },
          },
        }),
      );
      const addresses = await collector.start();
      apiUrl = addresses.httpUrl;
      demo = await startDemo(
        {
          host: '127.0.0.1',
          tracing: {
            collectors: [`127.0.0.1:${addresses.udpPort}`],
            otlpTracesUrl: `http://127.0.0.1:${addresses.otlpHttpPort}/v1/traces`,
          },
          idGenerator: { embedded: true, httpPort: 0, grpcPort: 0 },
          gateway: { httpPort: 0 },
          rates: { httpPort: 0 },
          quote: { httpPort: 0, grpcPort: 0, errorRate: 0, slowRate: 0 },
          traffic: { enabled: false },
        },
        {
          idServiceConfig: resolveIdServiceConfig({
            redis: { url: await requireBackend('redis') },
            lease: { keyPrefix: LEASE_PREFIX },
            influx: { url: influxUrl, flushIntervalMillis: 100 },
            logging: { stdout: false, redis: { key: LOG_KEY, flushIntervalMillis: 50 } },
          }),
        },
      );
    });

    afterAll(async () => {
      await demo?.close();
      await collector?.close();
      await es?.request('DELETE', `/${INDEX_PREFIX}-*`).catch(() => undefined);
      if (redis) {
        const keys = await redis.keys(`phosphor:e2e:${RUN}:*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      }
      if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
    });

    it('echoes a correlation id that the ID service issued', async () => {
      const res = await fetch(`${demo.urls.gateway}/quote/ACME`);
      expect(res.status).toBe(200);
      correlationId = res.headers.get('x-correlation-id') ?? '';
      expect(correlationId).toMatch(/^[0-9]{1,20}$/);

      // Same generator: the id decodes to a recent timestamp and to the (node, component) pair the ID service
      // holds right now (leased from Redis, so no other instance can share it).
      const decoded = (await (await fetch(`${demo.urls.idHttp}/decode/${correlationId}`)).json()) as Record<
        string,
        unknown
      >;
      const fresh = (await (await fetch(`${demo.urls.idHttp}/nextid`, { method: 'POST' })).json()) as { id: string };
      const freshDecoded = (await (await fetch(`${demo.urls.idHttp}/decode/${fresh.id}`)).json()) as Record<
        string,
        unknown
      >;
      expect(decoded.nodeId).toBe(freshDecoded.nodeId);
      expect(decoded.componentId).toBe(freshDecoded.componentId);
      expect(Math.abs(Date.parse(String(decoded.timestamp)) - Date.now())).toBeLessThan(120_000);
      // ...and the gateway's tracer never needed its local fallback ids.
      expect(demo.tracers.gateway.stats().idFallbacks).toBe(0);
    });

    it('shows every hop of the trace with all four events, read back through Elasticsearch', async () => {
      const spans = await poll(
        async () => {
          const res = await fetch(`${apiUrl}/api/traces/${correlationId}`);
          if (!res.ok) return undefined;
          const body = (await res.json()) as { spans: Span[]; pendingSpanIds?: string[] };
          return body.spans.length >= 4 && (body.pendingSpanIds ?? []).length === 0 ? body.spans : undefined;
        },
        { timeoutMillis: 20_000, what: `trace ${correlationId} in the collector API` },
      );
      expect(spans).toHaveLength(4);
      const roots = spans.filter((s) => !s.parentSpanId);
      expect(roots).toHaveLength(1);
      // The entry hop's caller is the untraced test client: only the gateway's IN/OUT exist, by design.
      expect(roots[0]).toMatchObject({ to: 'gateway', toEndpoint: 'GET /quote/:symbol' });
      expect([...roots[0]!.missing].sort()).toEqual(['REP', 'REQ']);
      const ids = new Set(spans.map((s) => s.spanId));
      for (const span of spans.filter((s) => s.parentSpanId)) {
        expect(span.missing, `${span.from} → ${span.to} ${span.toEndpoint}`).toEqual([]);
        expect(Object.keys(span.events).sort()).toEqual(['IN', 'OUT', 'REP', 'REQ']);
        expect(ids.has(span.parentSpanId!)).toBe(true);
        expect(span.traceId).toBe(correlationId);
      }
      const edges = spans
        .filter((s) => s.parentSpanId)
        .map((s) => `${s.from}→${s.to}`)
        .sort();
      expect(edges).toEqual(['gateway→quote', 'quote→id-generator', 'quote→id-generator']);

      // The same spans are documents in Elasticsearch under that correlation id.
      const hits = await poll(
        async () => {
          const node = es as EsTarget;
          await node.request('POST', `/${INDEX_PREFIX}-*/_refresh`);
          const res = await node.request('POST', `/${INDEX_PREFIX}-*/_search`, {
            size: 100,
            query: { term: { 'trace.id': correlationId } },
          });
          const body = res.body as { hits?: { hits: { _source: { span: { id: string } } }[] } };
          const found = body.hits?.hits ?? [];
          return found.length >= 4 ? found : undefined;
        },
        { timeoutMillis: 20_000, what: `spans of ${correlationId} in Elasticsearch` },
      );
      expect(hits.map((h) => h._source.span.id).sort()).toEqual([...ids].sort());
    });

    it("finds the ID service's log lines in Redis (Logstash shape) by the correlation id", async () => {
      const lines = await poll(
        async () => {
          const raw = await redis.lrange(LOG_KEY, 0, -1);
          const mine = raw.map((r) => JSON.parse(r) as LogstashEvent).filter((e) => e.correlation_id === correlationId);
          return mine.length >= 2 ? mine : undefined;
        },
        { timeoutMillis: 10_000, what: `log lines with correlation_id ${correlationId} in Redis` },
      );
      for (const line of lines) {
        expect(line['@version']).toBe('1');
        expect(Number.isNaN(Date.parse(line['@timestamp']))).toBe(false);
        expect(typeof line.message).toBe('string');
      }
    });

    it('finds the ID service metric points in VictoriaMetrics by the correlation id', async () => {
      const ids = await poll(
        async () => {
          const found = await correlationIdsInMetrics();
          return found.has(correlationId) ? found : undefined;
        },
        { timeoutMillis: 20_000, what: `metric points with correlation id ${correlationId}` },
      );
      expect(ids.has(correlationId)).toBe(true);
    });

    it('joins an OpenTelemetry-instrumented service into the same trace, through Elasticsearch and the dashboard', async () => {
      // gateway (Phosphor) → rates (OpenTelemetry SDK, OTLP/HTTP) → quote (Phosphor) → id-generator.
      const res = await fetch(`${demo.urls.gateway}/convert/ACME?currency=GBP`);
      expect(res.status).toBe(200);
      const mixedId = res.headers.get('x-correlation-id') ?? '';
      await demo.rates.flush();
      // Asked for by its OpenTelemetry id: the zero-padded hex form of the correlation id.
      const otelId = `0000000000000000${BigInt(mixedId).toString(16).padStart(16, '0')}`;
      const body = await poll(
        async () => {
          const r = await fetch(`${apiUrl}/api/traces/${otelId}`);
          if (!r.ok) return undefined;
          const b = (await r.json()) as { traceId: string; spans: Span[]; pendingSpanIds?: string[] };
          const done = b.spans.length >= 5 && b.spans.every((s) => !s.parentSpanId || s.missing.length === 0);
          return done && (b.pendingSpanIds ?? []).length === 0 ? b : undefined;
        },
        { timeoutMillis: 20_000, what: `mixed trace ${mixedId} in the collector API` },
      );
      expect(body.traceId).toBe(mixedId);
      const edges = body.spans
        .filter((s) => s.parentSpanId)
        .map((s) => `${s.from}→${s.to}`)
        .sort();
      expect(edges).toEqual(['gateway→rates', 'quote→id-generator', 'quote→id-generator', 'rates→quote']);
      const ids = new Set(body.spans.map((s) => s.spanId));
      for (const span of body.spans.filter((s) => s.parentSpanId)) expect(ids.has(span.parentSpanId!)).toBe(true);
      const hits = await poll(
        async () => {
          const node = es as EsTarget;
          await node.request('POST', `/${INDEX_PREFIX}-*/_refresh`);
          const r = await node.request('POST', `/${INDEX_PREFIX}-*/_search`, {
            size: 100,
            query: { term: { 'trace.id': mixedId } },
          });
          const found = (r.body as { hits?: { hits: { _source: { span: { id: string } } }[] } }).hits?.hits ?? [];
          return found.length >= ids.size ? found : undefined;
        },
        { timeoutMillis: 20_000, what: `spans of ${mixedId} in Elasticsearch` },
      );
      expect(hits.map((h) => h._source.span.id).sort()).toEqual([...ids].sort());
      const executablePath = await requireBackend('chromium');
      const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        await page.goto(`${apiUrl}/#/trace/${mixedId}`);
        await page.getByRole('tree').waitFor();
        expect(await page.getByRole('treeitem').count()).toBe(body.spans.length);
        await page.getByRole('button', { name: 'Text' }).click();
        const text = (await page.getByTestId('trace-text').textContent()) ?? '';
        for (const type of ['REQ', 'IN', 'OUT', 'REP']) {
          expect(text).toContain(`[${type}] gateway → rates`);
          expect(text).toContain(`[${type}] rates → quote`);
        }
      } finally {
        await browser.close();
      }
    });

    it('renders the trace in the dashboard in Chromium', async () => {
      const executablePath = await requireBackend('chromium');
      let browser: Browser | undefined;
      try {
        browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        const pageErrors: string[] = [];
        page.on('pageerror', (e) => pageErrors.push(e.message));
        await page.goto(`${apiUrl}/#/trace/${correlationId}`);
        await page.getByRole('tree').waitFor();
        expect(await page.getByRole('treeitem').count()).toBe(4);
        await page.getByRole('button', { name: 'Text' }).click();
        const text = (await page.getByTestId('trace-text').textContent()) ?? '';
        expect(text.startsWith(`Tracing: ${correlationId}`)).toBe(true);
        for (const type of ['REQ', 'IN', 'OUT', 'REP']) expect(text).toContain(`[${type}] gateway → quote`);
        mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: `${SHOTS}/e2e-trace-text.png` });
        expect(pageErrors).toEqual([]);
      } finally {
        await browser?.close();
      }
    });
  },
);
