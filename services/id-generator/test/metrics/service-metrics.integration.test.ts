import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { requireBackend } from '../../../../test/support/backends.js';
import { type ExportedSeries, exportSeries } from '../../../../test/support/victoria-metrics.js';
import { joinCorrelationId } from '../../src/metrics/correlation-fields.js';
import { InfluxServiceMetrics } from '../../src/metrics/service-metrics.js';

describe('Influx metrics against real VictoriaMetrics (v2 write API)', () => {
  it('request points arrive with low-cardinality tags and numeric fields', async () => {
    const url = await requireBackend('influx');
    const service = `idgen-test-${randomBytes(4).toString('hex')}`;
    const metrics = new InfluxServiceMetrics({
      url,
      org: 'phosphor',
      bucket: 'phosphor',
      token: '',
      flushIntervalMillis: 50,
      maxBufferLines: 1000,
      service,
      hostname: 'test-host',
    });
    metrics.request('http', 'POST /nextid', 'ok', 1.25, '4242424242424242', 1);
    metrics.request('grpc', '/phosphor.idgen.v1.IdGenerator/NextIDs', 'ok', 2.5, '4343434343434343', 10);
    metrics.request('http', 'POST /nextid', 'IDG_ERR_CLOCK_BACKWARDS', 0.5, '4444444444444444', 0);
    await metrics.flush();
    expect(metrics.stats()).toMatchObject({ writtenLines: 4, failedWrites: 0 });

    let series: ExportedSeries[] = [];
    for (let attempt = 0; attempt < 150 && series.length < 2; attempt++) {
      await sleep(200);
      series = await exportSeries(url, `{__name__="idgen_requests_duration_ms",service="${service}"}`);
    }
    const byTransport = new Map(series.map((s) => [`${s.metric.transport} ${s.metric.status}`, s]));
    expect(byTransport.get('http ok')?.values).toEqual([1.25]);
    expect(byTransport.get('grpc ok')?.values).toEqual([2.5]);
    expect(byTransport.get('http IDG_ERR_CLOCK_BACKWARDS')?.metric).toMatchObject({
      endpoint: 'POST /nextid',
      host: 'test-host',
    });
    // The correlation id is a field, never a label (VictoriaMetrics stores numeric fields only).
    for (const s of series) expect(s.metric).not.toHaveProperty('correlation_id');
    const ids = await exportSeries(url, `{__name__="idgen_requests_ids",service="${service}",transport="grpc"}`);
    expect(ids[0]?.values).toEqual([10]);

    // ...yet a request's points are found by its correlation id: the exact 32-bit halves are numeric fields.
    const his = await exportSeries(
      url,
      `{__name__="idgen_requests_correlation_id_hi",service="${service}",transport="grpc"}`,
    );
    const los = await exportSeries(
      url,
      `{__name__="idgen_requests_correlation_id_lo",service="${service}",transport="grpc"}`,
    );
    expect(joinCorrelationId(his[0]?.values[0] ?? -1, los[0]?.values[0] ?? -1)).toBe('4343434343434343');

    const health = await metrics.health.check();
    expect(health[0]).toMatchObject({ name: 'ping', status: 'OK' });
    await metrics.close();
    await metrics.close();
  }, 60_000);

  it('a down server is counted and reported KO, never thrown', async () => {
    const metrics = new InfluxServiceMetrics({
      url: 'http://127.0.0.1:1',
      org: 'o',
      bucket: 'b',
      token: '',
      flushIntervalMillis: 50,
      maxBufferLines: 10,
      service: 'x',
      hostname: 'h',
    });
    metrics.request('http', 'POST /nextid', 'ok', 1, '1', 1);
    await metrics.flush();
    expect(metrics.stats().failedWrites).toBeGreaterThan(0);
    const health = await metrics.health.check();
    expect(health.map((h) => h.status)).toEqual(['KO', 'KO']);
    await metrics.close();
  });
});
