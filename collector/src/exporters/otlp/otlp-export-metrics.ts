import { Counter, Gauge, type Registry } from 'prom-client';
import type { OtlpSpanExporter } from './index.js';

/** Adds the OTLP exporter's counters to a collector's registry (one exporter, or shards' summed); read at scrape time. */
export function registerOtlpExportMetrics(registry: Registry, exporter: Pick<OtlpSpanExporter, 'stats'>): void {
  const p = 'phosphor_collector_otlp_export_';
  new Counter({
    name: `${p}spans_total`,
    help: 'Spans delivered to the OTLP receiver',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(exporter.stats().exportedSpans);
    },
  });
  new Counter({
    name: `${p}dropped_spans_total`,
    help: 'Spans not delivered, by reason (queue_full, rejected, retries_exhausted, shutdown)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(exporter.stats().droppedSpans)) this.inc({ reason }, n);
    },
  });
  new Counter({
    name: `${p}retries_total`,
    help: 'Export requests retried after a retryable failure',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(exporter.stats().retries);
    },
  });
  new Gauge({
    name: `${p}queue_spans`,
    help: 'Spans waiting to be exported',
    registers: [registry],
    collect() {
      this.set(exporter.stats().queuedSpans);
    },
  });
}
