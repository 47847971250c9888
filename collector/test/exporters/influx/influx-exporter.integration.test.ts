import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBackend } from '../../../../test/support/backends.js';
import { type AggregateRow, createInfluxExporter, type InfluxExporter } from '../../../src/exporters/influx/index.js';

interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
}

async function exported(url: string, prefix: string): Promise<ExportedSeries[]> {
  // Samples become searchable after VictoriaMetrics' periodic in-memory flush; force it so reads see them now.
  await fetch(`${url}/internal/force_flush`);
  const res = await fetch(`${url}/api/v1/export`, {
    method: 'POST',
    body: new URLSearchParams({ 'match[]': `{__name__=~"${prefix}_.*"}` }),
  });
  const text = await res.text();
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ExportedSeries);
}

const exporters: InfluxExporter[] = [];
afterAll(async () => {
  for (const e of exporters) await e.close();
});

describe('Influx exporter against real VictoriaMetrics (v2 write API)', () => {
  it('writes aggregates that read back with the same tags and values', async () => {
    const url = await requireBackend('influx');
    const prefix = `phosphor_it_${Date.now().toString(36)}`;
    const rows: AggregateRow[] = [
      {
        kind: 'endpoint',
        service: 'id-generator',
        endpoint: 'NextID',
        window: '1m',
        count: 42,
        errors: 2,
        p50: 150,
        p95: 900,
        p99: 2500,
      },
      {
        kind: 'edge',
        caller: 'gateway',
        callee: 'id-generator',
        window: '1m',
        count: 40,
        errors: 0,
        p50: 200,
        p95: 1000,
        p99: 3000,
      },
      {
        kind: 'host',
        host: 'host-a',
        service: 'id-generator',
        window: '1m',
        count: 42,
        errors: 2,
        p50: 150,
        p95: 900,
        p99: 2500,
      },
    ];
    const exporter = createInfluxExporter(
      { enabled: true, url, org: 'phosphor', bucket: 'phosphor', measurementPrefix: prefix },
      () => rows,
      pino({ level: 'silent' }),
    );
    exporters.push(exporter);
    await exporter.exportNow();
    expect(exporter.stats()).toMatchObject({ writtenPoints: 3, failedWrites: 0 });

    // exported() forces VictoriaMetrics' in-memory flush; registering new series on a just-started instance can
    // still take a few seconds on a busy machine.
    await expect.poll(async () => (await exported(url, prefix)).length, { timeout: 45_000, interval: 250 }).toBe(15);
    const series = await exported(url, prefix);
    const find = (name: string) => series.find((s) => s.metric.__name__ === name);
    expect(find(`${prefix}_endpoint_count`)).toMatchObject({
      metric: { service: 'id-generator', endpoint: 'NextID', window: '1m' },
      values: [42],
    });
    expect(find(`${prefix}_edge_p99_micros`)).toMatchObject({
      metric: { caller: 'gateway', callee: 'id-generator' },
      values: [3000],
    });
    expect(find(`${prefix}_host_errors`)).toMatchObject({
      metric: { host: 'host-a', service: 'id-generator' },
      values: [2],
    });
    for (const s of series) {
      expect(Object.keys(s.metric).sort()).not.toContain('trace_id');
    }
  });

  it('with the server unreachable, buffers within the bound, counts drops, and never blocks', async () => {
    // A port nothing listens on: connection refused, like a stopped InfluxDB.
    const exporter = createInfluxExporter(
      { enabled: true, url: 'http://127.0.0.1:9', maxBufferedPoints: 4, requestTimeoutMillis: 500 },
      () => [
        { kind: 'endpoint', service: 's', endpoint: 'e', window: '1m', count: 1, errors: 0, p50: 1, p95: 1, p99: 1 },
      ],
      pino({ level: 'silent' }),
    );
    exporters.push(exporter);
    for (let i = 0; i < 10; i++) await exporter.exportNow();
    expect(exporter.stats()).toMatchObject({ bufferedPoints: 4, droppedPoints: 6, failedWrites: 10, writtenPoints: 0 });
  });
});
