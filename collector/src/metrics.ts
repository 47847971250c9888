import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Aggregates } from './aggregates/aggregates.js';
import type { AssemblerStats } from './assembly/span-sink.js';
import type { UdpReceiver } from './receivers/udp/udp-receiver.js';
import type { SpanStore } from './storage/span-store.js';
import type { TailHub } from './tail/tail-hub.js';

/** Per-client series exported at most: keeps /metrics bounded when thousands of tracers report. */
const MAX_CLIENT_SERIES = 100;

/** The parts whose counters /metrics exposes. */
export interface MetricSources {
  receiver: UdpReceiver;
  assembler: { stats(): AssemblerStats };
  store: SpanStore;
  aggregates: Aggregates;
  tail: TailHub;
}

/**
 * Builds a Prometheus registry (one per collector, so several can live in one process) whose
 * metrics read the components' plain counters at scrape time — the hot path never touches prom-client.
 */
export function createMetricsRegistry(sources: MetricSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'phosphor_collector_' });
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
  counter(
    'lost_datagrams_total',
    'Datagrams lost, from sequence gaps over tracked clients',
    () => receiver.clients.totals().lostDatagrams ?? 0,
  );
  const clientLabels = ['tracer_id', 'service', 'hostname'];
  new Gauge({
    name: `${p}client_lost_datagrams`,
    help: `Datagrams lost per client (sequence gaps), ${MAX_CLIENT_SERIES} most recently seen clients`,
    labelNames: clientLabels,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of receiver.clients.clientsLoss().slice(0, MAX_CLIENT_SERIES)) {
        this.set({ tracer_id: c.tracerId, service: c.service, hostname: c.hostname }, c.lostDatagrams);
      }
    },
  });
  new Gauge({
    name: `${p}client_tracer_dropped_events`,
    help: `Events the tracer itself dropped (buffer full, too large, send error), ${MAX_CLIENT_SERIES} most recently seen clients`,
    labelNames: clientLabels,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of receiver.clients.clientsLoss().slice(0, MAX_CLIENT_SERIES)) {
        const d = c.tracerDrops;
        this.set(
          { tracer_id: c.tracerId, service: c.service, hostname: c.hostname },
          d.bufferFull + d.tooLarge + d.sendError,
        );
      }
    },
  });
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
