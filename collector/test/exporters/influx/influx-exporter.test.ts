import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AggregateRow,
  type AggregatesLike,
  aggregatesSource,
  createInfluxExporter,
  type InfluxExporter,
  rowToLine,
} from '../../../src/exporters/influx/index.js';

const silent = pino({ level: 'silent' });

interface FakeInflux {
  url: string;
  bodies: { url: string; body: string }[];
  mode: 'ok' | 'fail' | 'hang';
  server: Server;
}

let servers: Server[] = [];
let exporters: InfluxExporter[] = [];
afterEach(async () => {
  for (const e of exporters) await e.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  servers = [];
  exporters = [];
});

async function fakeInflux(): Promise<FakeInflux> {
  const fake: FakeInflux = { url: '', bodies: [], mode: 'ok', server: createServer() };
  fake.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      if (fake.mode === 'hang') return;
      if (fake.mode === 'fail') {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":"unavailable","message":"down"}');
        return;
      }
      fake.bodies.push({ url: req.url ?? '', body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => fake.server.listen(0, '127.0.0.1', r));
  servers.push(fake.server);
  fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  return fake;
}

const row = (over: Partial<AggregateRow> = {}): AggregateRow => ({
  kind: 'endpoint',
  service: 'id-generator',
  endpoint: 'NextID',
  window: '1m',
  count: 10,
  errors: 1,
  p50: 120,
  p95: 900.5,
  p99: 1500,
  ...over,
});

describe('rowToLine', () => {
  it('writes low-cardinality tags only, typed fields, ms timestamp', () => {
    expect(rowToLine('phosphor', row(), 1_700_000_000_123)).toBe(
      'phosphor_endpoint,endpoint=NextID,service=id-generator,window=1m count=10i,errors=1i,p50_micros=120,p95_micros=900.5,p99_micros=1500 1700000000123',
    );
    expect(
      rowToLine(
        'p',
        { kind: 'edge', caller: 'a b', callee: 'c,d', window: '1m', count: 1, errors: 0, p50: 1, p95: 1, p99: 1 },
        5,
      ),
    ).toBe('p_edge,callee=c\\,d,caller=a\\ b,window=1m count=1i,errors=0i,p50_micros=1,p95_micros=1,p99_micros=1 5');
  });

  it('ignores fields outside the tag allowlist of the kind (no ids can leak into tags)', () => {
    const withExtra = { ...row(), traceId: '123', correlation_id: 'c' } as AggregateRow;
    expect(rowToLine('p', withExtra, 1)).not.toMatch(/123|correlation/);
  });

  it.each([
    ['negative count', { count: -1 }],
    ['fractional errors', { errors: 1.5 }],
    ['NaN percentile', { p99: Number.NaN }],
    ['unknown kind', { kind: 'trace' as AggregateRow['kind'] }],
    ['no tag value', { service: undefined, endpoint: undefined }],
    ['empty window', { window: '' }],
  ])('rejects a row with %s', (_name, over) => {
    expect(rowToLine('p', row(over), 1)).toBeUndefined();
  });
});

describe('Influx exporter (fake v2 write endpoint)', () => {
  it('writes the source rows to /api/v2/write with org, bucket, ms precision and token', async () => {
    const fake = await fakeInflux();
    const exporter = createInfluxExporter(
      { enabled: true, url: fake.url, org: 'o1', bucket: 'b1', token: 't0k' },
      () => [row(), row({ kind: 'host', host: 'h1', service: 'id-generator' }), row({ count: -5 })],
      silent,
    );
    exporters.push(exporter);
    await exporter.exportNow();
    expect(fake.bodies).toHaveLength(1);
    expect(fake.bodies[0]!.url).toBe('/api/v2/write?org=o1&bucket=b1&precision=ms');
    expect(fake.bodies[0]!.body.split('\n')).toHaveLength(2);
    expect(exporter.stats()).toMatchObject({ writtenPoints: 2, invalidRows: 1, bufferedPoints: 0, failedWrites: 0 });
  });

  it('keeps points while the server fails, bounded by maxBufferedPoints, and writes them once it is back', async () => {
    const fake = await fakeInflux();
    fake.mode = 'fail';
    const exporter = createInfluxExporter(
      { enabled: true, url: fake.url, maxBufferedPoints: 5 },
      () => [row(), row({ service: 's2' })],
      silent,
    );
    exporters.push(exporter);
    for (let i = 0; i < 4; i++) await exporter.exportNow();
    expect(exporter.stats()).toMatchObject({ bufferedPoints: 5, droppedPoints: 3, failedWrites: 4, writtenPoints: 0 });
    fake.mode = 'ok';
    await exporter.exportNow();
    expect(exporter.stats()).toMatchObject({ bufferedPoints: 0, writtenPoints: 5, droppedPoints: 5 });
  });

  it('never stalls: with a hung server, sampling goes on and only one write is in flight', async () => {
    const fake = await fakeInflux();
    fake.mode = 'hang';
    let sampled = 0;
    const exporter = createInfluxExporter(
      { enabled: true, url: fake.url, maxBufferedPoints: 3, requestTimeoutMillis: 300 },
      () => {
        sampled++;
        return [row()];
      },
      silent,
    );
    exporters.push(exporter);
    const first = exporter.exportNow();
    // Nothing is awaited: each call sampled synchronously, behind the one write still hanging.
    for (let i = 0; i < 5; i++) void exporter.exportNow();
    expect(sampled).toBe(6);
    expect(exporter.stats()).toMatchObject({ writeRequests: 1, bufferedPoints: 3, droppedPoints: 3 });
    await first;
    expect(exporter.stats().failedWrites).toBe(1);
  });

  it('start() exports on the interval; close() writes a last time and is safe twice', async () => {
    const fake = await fakeInflux();
    const exporter = createInfluxExporter({ enabled: true, url: fake.url, intervalMillis: 100 }, () => [row()], silent);
    exporter.start();
    await expect.poll(() => fake.bodies.length, { timeout: 2000 }).toBeGreaterThanOrEqual(2);
    await exporter.close();
    await exporter.close();
    const after = fake.bodies.length;
    await new Promise((r) => setTimeout(r, 250));
    expect(fake.bodies.length).toBe(after);
  });

  it('rejects a bad config naming the field', () => {
    expect(() => createInfluxExporter({ enabled: true, url: 'influx:8086' }, () => [], silent)).toThrowError(
      /influx\.url/,
    );
    expect(() => createInfluxExporter({ enabled: true, intervalMs: 5 } as never, () => [], silent)).toThrowError(
      /unknown field "intervalMs"/,
    );
  });
});

describe('aggregatesSource', () => {
  it('turns every window of the collector aggregates into endpoint, edge and host rows', () => {
    const w = { count: 3, errors: 1, p50Micros: 10, p95Micros: 20, p99Micros: 30, ratePerSecond: 1 };
    const aggregates: AggregatesLike = {
      windowLabels: () => ['1m', '5m'],
      snapshot: (m) => ({
        window: `${m}m`,
        endpoints: [{ ...w, service: 's', endpoint: 'e' }],
        edges: [{ ...w, from: 'a', to: 'b' }],
        hosts: [{ ...w, host: 'h' }],
      }),
    };
    const rows = aggregatesSource(aggregates)();
    expect(rows).toHaveLength(6);
    expect(rows[1]).toEqual({
      kind: 'edge',
      caller: 'a',
      callee: 'b',
      window: '1m',
      count: 3,
      errors: 1,
      p50: 10,
      p95: 20,
      p99: 30,
    });
    expect(rows.filter((r) => r.window === '5m')).toHaveLength(3);
  });

  it('health is Degraded while writes fail and OK after a successful write', async () => {
    const fake = await fakeInflux();
    fake.mode = 'fail';
    const exporter = createInfluxExporter({ enabled: true, url: fake.url }, () => [row()], silent);
    exporters.push(exporter);
    await exporter.exportNow();
    expect((await exporter.health()).status).toBe('Degraded');
    fake.mode = 'ok';
    await exporter.exportNow();
    expect((await exporter.health()).status).toBe('OK');
  });
});
