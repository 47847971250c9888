import { Counter, Gauge, type Registry } from 'prom-client';
import type { OtlpReceiver } from './otlp-receiver.js';

/** Adds the OTLP receiver's counters to a collector's registry; read at scrape time like the others. */
export function registerOtlpMetrics(registry: Registry, otlp: OtlpReceiver): void {
  const p = 'phosphor_collector_otlp_';
  new Counter({
    name: `${p}requests_total`,
    help: 'OTLP export requests received, by transport (http, grpc)',
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [transport, n] of Object.entries(otlp.stats().requests)) this.inc({ transport }, n);
    },
  });
  new Counter({
    name: `${p}rejected_requests_total`,
    help: 'OTLP requests refused as a whole, by reason (too_large, decompressed_too_large, unsupported_media_type, bad_encoding, malformed, not_found)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(otlp.stats().rejectedRequests)) this.inc({ reason }, n);
    },
  });
  new Counter({
    name: `${p}rejected_spans_total`,
    help: 'OTLP spans left out of accepted requests, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(otlp.stats().rejectedSpans)) this.inc({ reason }, n);
    },
  });
  new Counter({
    name: `${p}accepted_spans_total`,
    help: 'OTLP spans accepted and mapped to events',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(otlp.stats().acceptedSpans);
    },
  });
  new Counter({
    name: `${p}unresolved_parents_total`,
    help: 'OTLP spans passed on before their parent span arrived (otlp.parentWaitMillis)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(otlp.stats().unresolvedParents);
    },
  });
  new Gauge({
    name: `${p}waiting_spans`,
    help: 'OTLP spans waiting for their parent span',
    registers: [registry],
    collect() {
      this.set(otlp.stats().waitingSpans);
    },
  });
}
