import { readFileSync } from 'node:fs';
import { Counter, collectDefaultMetrics, Gauge, type MetricValue, Registry } from 'prom-client';
import type { Aggregates } from './aggregates/aggregates.js';
import type { AssemblerStats } from './assembly/span-sink.js';
import { ClientLossCounters } from './prometheus/client-loss-counters.js';
import type { SpanDurationHistograms } from './prometheus/span-duration-histograms.js';
import type { UdpReceiver } from './receivers/udp/udp-receiver.js';
import type { SpanStore } from './storage/span-store.js';
import type { TailHub } from './tail/tail-hub.js';

/** The collector package's version, for `phosphor_build_info`. */
const VERSION = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
})();

/** The parts whose counters /metrics exposes. */
export interface MetricSources {
  receiver: Pick<UdpReceiver, 'stats' | 'clients'>;
  assembler: { stats(): AssemblerStats };
  store: Pick<SpanStore, 'stats'>;
  aggregates: Pick<Aggregates, 'stats'>;
  tail: Pick<TailHub, 'stats'>;
  /** Span-duration histograms per service and endpoint (optional so tools can build a registry without). */
  spanDurations?: SpanDurationHistograms;
}

/**
 * Builds a Prometheus registry (one per collector, so several can live in one process) whose
 * metrics read the components' plain counters at scrape time — the hot path never touches prom-client.
 */
export function createMetricsRegistry(sources: MetricSources): Registry {
  const registry = new Registry();
  // Standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes …) so stock dashboards match.
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'phosphor_build_info',
    help: 'Always 1; the labels say which build runs (join on it for version-aware alerts)',
    labelNames: ['component', 'version', 'nodejs_version'],
    registers: [registry],
  }).set({ component: 'collector', version: VERSION, nodejs_version: process.version }, 1);
  const p = 'phosphor_collector_';
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name: `${p}${name}`,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name: `${p}${name}`,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  const { receiver, assembler, store, aggregates, tail } = sources;
  counter('received_datagrams_total', 'UDP datagrams received', () => receiver.stats().receivedDatagrams);
  counter('received_bytes_total', 'UDP payload bytes received', () => receiver.stats().receivedBytes);
  new Counter({
    name: `${p}rejected_datagrams_total`,
    help: 'Datagrams dropped, by reason (oversized, too_short, bad_magic, wrong_version, missing_hmac, bad_hmac, malformed)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(receiver.stats().droppedDatagrams)) this.inc({ reason }, n);
    },
  });
  counter(
    'invalid_events_total',
    'Events dropped by validation inside accepted datagrams',
    () => receiver.stats().invalidEvents,
  );
  counter('events_total', 'Valid events handed to span assembly', () => assembler.stats().receivedEvents);
  counter('duplicate_events_total', 'Events ignored as duplicates', () => assembler.stats().duplicateEvents);
  counter('late_events_total', 'Events that arrived after their span was emitted', () => assembler.stats().lateEvents);
  new Counter({
    name: `${p}spans_total`,
    help: 'Spans emitted, complete (all four events) or partial',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      const s = assembler.stats();
      this.inc({ kind: 'complete' }, s.completeSpans);
      this.inc({ kind: 'partial' }, s.partialSpans);
    },
  });
  counter(
    'evicted_pending_spans_total',
    'Pending spans emitted early because assembly.maxPendingSpans was reached',
    () => assembler.stats().evictedPendingSpans,
  );
  gauge('pending_spans', 'Hops waiting for their missing events', () => assembler.stats().pendingSpans);
  counter('storage_evicted_spans_total', 'Spans evicted from storage', () => store.stats().evictedSpans ?? 0);
  gauge('storage_queue_depth', 'Spans queued for storage', () => store.stats().queuedSpans ?? 0);
  counter('handler_errors_total', 'Batches whose processing threw (bugs)', () => receiver.stats().handlerErrors);
  counter('lost_datagrams_total', 'Datagrams lost, from sequence gaps over all clients', () =>
    foldClientLoss().reduce((sum, c) => sum + c.lostDatagrams, 0),
  );
  const clientLoss = new ClientLossCounters();
  let clientLossAt = -1;
  // Both counters read the same fold of the receiver's per-tracer state, done once per scrape.
  const foldClientLoss = () => {
    const now = Date.now();
    if (now !== clientLossAt) clientLoss.update(receiver.clients.clientsLoss());
    clientLossAt = now;
    return clientLoss.instances();
  };
  new Counter({
    name: `${p}client_lost_datagrams_total`,
    help: 'Datagrams lost (sequence gaps) per sending service instance; tracer restarts keep adding to the same series',
    labelNames: ['service', 'hostname'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of foldClientLoss()) this.inc({ service: c.service, hostname: c.hostname }, c.lostDatagrams);
    },
  });
  new Counter({
    name: `${p}client_tracer_dropped_events_total`,
    help: 'Events the tracers themselves dropped, per service instance and reason (buffer_full, too_large, send_error)',
    labelNames: ['service', 'hostname', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of foldClientLoss()) {
        for (const [reason, n] of Object.entries(c.dropped))
          this.inc({ service: c.service, hostname: c.hostname, reason }, n);
      }
    },
  });
  if (sources.spanDurations) registry.registerMetric(spanDurationMetric(sources.spanDurations) as never);
  gauge(
    'aggregate_keys',
    'Rolling aggregate keys (endpoints, edges, hosts)',
    () => aggregates.stats().aggregateKeys ?? 0,
  );
  counter(
    'dropped_aggregate_keys_total',
    'New aggregate keys refused past aggregates.maxKeys',
    () => aggregates.stats().droppedAggregateKeys ?? 0,
  );
  gauge('tail_clients', 'Live tail subscribers', () => tail.stats().tailClients ?? 0);
  counter(
    'tail_dropped_clients_total',
    'Live tail clients disconnected for being too slow',
    () => tail.stats().tailDroppedClients ?? 0,
  );
  return registry;
}

/**
 * `phosphor_span_duration_seconds`: a Prometheus histogram per callee service and endpoint, read from the
 * plain counts {@link SpanDurationHistograms} keeps (prom-client's registry formats it like its own).
 */
function spanDurationMetric(histograms: SpanDurationHistograms) {
  const name = 'phosphor_span_duration_seconds';
  const help = 'Span durations (client round trip when known) per callee service and endpoint';
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get() {
      const values: (MetricValue<string> & { metricName: string })[] = [];
      const bounds = histograms.bucketsSeconds;
      for (const s of histograms.snapshot()) {
        const labels = { service: s.service, endpoint: s.endpoint };
        let cumulative = 0;
        for (let i = 0; i <= bounds.length; i++) {
          cumulative += s.counts[i] as number;
          values.push({
            metricName: `${name}_bucket`,
            labels: { ...labels, le: i < bounds.length ? (bounds[i] as number) : '+Inf' },
            value: cumulative,
          });
        }
        values.push({ metricName: `${name}_sum`, labels, value: s.sumSeconds });
        values.push({ metricName: `${name}_count`, labels, value: cumulative });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
}
