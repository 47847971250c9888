import { afterEach, describe, expect, it } from 'vitest';
import { type ParsedFamily, parsePrometheusText } from '../../../test/support/prometheus-parser.js';
import { encodeBatch } from '../../../wire/test/support/reference-encoder.js';
import type { Collector } from '../../src/app.js';
import { testCollector } from '../support/collector.js';
import { batchOf, hopEvents } from '../support/hops.js';

const T0 = 1_700_000_000_000_000;
const BUCKETS = [0.001, 0.01, 0.1, 1];

let collector: Collector | undefined;
afterEach(async () => {
  await collector?.close();
  collector = undefined;
});

/** One complete hop caller → `to`/`endpoint` lasting `micros` (client round trip). */
function hop(traceId: string, to: string, endpoint: string, micros: number) {
  return hopEvents({
    traceId,
    spanId: `${traceId}-s`,
    from: 'gateway',
    fromEndpoint: 'GET /',
    to,
    toEndpoint: endpoint,
    times: { REQ: T0, IN: T0 + 10, OUT: T0 + micros - 10, REP: T0 + micros },
  });
}

async function scrape(c: Collector): Promise<{ text: string; families: ParsedFamily[] }> {
  const res = await c.http.inject('/metrics');
  expect(res.statusCode).toBe(200);
  return { text: res.body, families: await parsePrometheusText(res.body) };
}

const family = (families: ParsedFamily[], name: string) => families.find((f) => f.name === name);
const sample = (f: ParsedFamily | undefined, name: string, labels: Record<string, string> = {}) =>
  f?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('/metrics in Prometheus exposition format, read by prometheus_client', () => {
  it('follows the naming conventions: counters end in _total, base units, standard process and Node.js names', async () => {
    collector = await testCollector();
    collector.ingest(encodeBatch(batchOf(hop('1', 'quote', 'Get', 2_000))));
    const { families } = await scrape(collector);
    expect(families.length).toBeGreaterThan(20);
    for (const f of families) {
      expect(f.name, 'metric name').toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
      expect(f.help, `${f.name} has HELP`).not.toBe('');
      if (f.type === 'counter') {
        for (const s of f.samples.filter((x) => !x.name.endsWith('_created')))
          expect(s.name, `counter sample of ${f.name}`).toMatch(/_total$/);
      }
      // Cumulative values are counters, never gauges named like counters (prom-client's standard
      // nodejs_active_*_total gauges keep their stock names).
      if (f.type === 'gauge' && f.name.startsWith('phosphor_')) expect(f.name).not.toMatch(/_total$/);
      for (const s of f.samples) expect(Object.keys(s.labels)).not.toContain('tracer_id');
    }
    for (const standard of ['process_cpu_seconds', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']) {
      expect(family(families, standard), standard).toBeDefined();
    }
    expect(families.some((f) => f.name.startsWith('phosphor_collector_process_'))).toBe(false);
    expect(family(families, 'phosphor_collector_received_datagrams')?.type).toBe('counter');
    const build = family(families, 'phosphor_build_info');
    expect(build?.type).toBe('gauge');
    expect(build?.samples[0]).toMatchObject({
      value: 1,
      labels: {
        component: 'collector',
        version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        nodejs_version: process.version,
      },
    });
  });

  it('span-duration histograms per service and endpoint, with the configured buckets, usable by histogram_quantile', async () => {
    collector = await testCollector({ metrics: { spanDurationBucketsSeconds: BUCKETS } });
    const durations = [500, 5_000, 5_000, 50_000, 2_000_000];
    collector.ingest(encodeBatch(batchOf(durations.flatMap((d, i) => hop(`t${i}`, 'quote', 'Get', d)))));
    collector.ingest(encodeBatch(batchOf(hop('u', 'id-generator', 'NextID', 200), 1)));
    const { families } = await scrape(collector);
    const h = family(families, 'phosphor_span_duration_seconds');
    expect(h?.type).toBe('histogram');
    const quote = { service: 'quote', endpoint: 'Get' };
    const buckets = h?.samples.filter((s) => s.name.endsWith('_bucket') && s.labels.service === 'quote') ?? [];
    expect(buckets.map((b) => (b.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(b.labels.le)))).toEqual([
      ...BUCKETS,
      Number.POSITIVE_INFINITY,
    ]);
    expect(buckets.map((b) => b.value)).toEqual([1, 3, 4, 4, 5]);
    expect(sample(h, 'phosphor_span_duration_seconds_count', quote)).toBe(5);
    expect(sample(h, 'phosphor_span_duration_seconds_sum', quote)).toBeCloseTo(2.0605, 6);
    expect(sample(h, 'phosphor_span_duration_seconds_count', { service: 'id-generator', endpoint: 'NextID' })).toBe(1);
  });

  it('keeps the span-duration series bounded: pairs past maxSpanDurationSeries count under _other', async () => {
    collector = await testCollector({ metrics: { maxSpanDurationSeries: 2 } });
    const events = ['A', 'B', 'C', 'D'].flatMap((e, i) => hop(`b${i}`, 'svc', e, 1_000));
    collector.ingest(encodeBatch(batchOf(events)));
    const { families } = await scrape(collector);
    const counts = family(families, 'phosphor_span_duration_seconds')?.samples.filter((s) => s.name.endsWith('_count'));
    expect(counts?.map((s) => `${s.labels.service}/${s.labels.endpoint}=${s.value}`).sort()).toEqual([
      '_other/_other=2',
      'svc/A=1',
      'svc/B=1',
    ]);
  });

  it('client loss is a counter per service instance: a restarted tracer (new id) adds to the same series', async () => {
    collector = await testCollector();
    const drops = (bufferFull: number) => ({ bufferFull, tooLarge: 0, sendError: 1, sampledOut: 0 });
    // Tracer A: sequences 0 and 3 (2 lost), reports 5 events dropped for a full buffer.
    collector.ingest(encodeBatch({ ...batchOf(hop('a1', 'q', 'E', 100), 0, 'tracer-a'), drops: drops(0) }));
    collector.ingest(encodeBatch({ ...batchOf(hop('a2', 'q', 'E', 100), 3, 'tracer-a'), drops: drops(5) }));
    const first = await scrape(collector);
    // The service restarts: a new tracer id, counters from zero, 1 more lost, 1 more dropped.
    collector.ingest(encodeBatch({ ...batchOf(hop('b1', 'q', 'E', 100), 0, 'tracer-b'), drops: drops(0) }));
    collector.ingest(encodeBatch({ ...batchOf(hop('b2', 'q', 'E', 100), 2, 'tracer-b'), drops: drops(1) }));
    const second = await scrape(collector);
    const instance = { service: 'test', hostname: 'test-host' };
    const lost = (f: ParsedFamily[]) =>
      sample(
        family(f, 'phosphor_collector_client_lost_datagrams'),
        'phosphor_collector_client_lost_datagrams_total',
        instance,
      );
    const dropped = (f: ParsedFamily[], reason: string) =>
      sample(
        family(f, 'phosphor_collector_client_tracer_dropped_events'),
        'phosphor_collector_client_tracer_dropped_events_total',
        { ...instance, reason },
      );
    expect(lost(first.families)).toBe(2);
    expect(dropped(first.families, 'buffer_full')).toBe(5);
    expect(lost(second.families)).toBe(3);
    expect(dropped(second.families, 'buffer_full')).toBe(6);
    expect(dropped(second.families, 'send_error')).toBe(2);
    expect(family(second.families, 'phosphor_collector_client_lost_datagrams')?.samples).toHaveLength(1);
    expect(second.text).not.toContain('tracer-a');
    expect(second.text).not.toContain('tracer-b');
  });

  it('rejects bucket bounds that do not increase, naming the key', async () => {
    await expect(testCollector({ metrics: { spanDurationBucketsSeconds: [0.1, 0.01] } })).rejects.toThrow(
      /COL_ERR_CONFIG_INVALID: metrics\.spanDurationBucketsSeconds: bucket bounds must increase/,
    );
  });
});
