import type { Registry } from 'prom-client';
import type { Aggregates } from '../aggregates/aggregates.js';
import type { TraceQueries } from '../assembly/trace-query-service.js';
import type { CollectorConfig } from '../config/config.js';
import type { ComponentHealth, SpanStore } from '../storage/span-store.js';
import type { TailHub } from '../tail/tail-hub.js';

/** What the HTTP routes read from. */
export interface ApiDeps {
  config: CollectorConfig;
  store: SpanStore;
  /** Trace by id (stored + pending, skew-corrected) and search. */
  traces: TraceQueries;
  aggregates: Aggregates;
  tail: TailHub;
  registry: Registry;
  /** Every component's health, Flaki format. */
  health(): Promise<Record<string, ComponentHealth>>;
  /** Self counters for /api/stats. */
  stats(): Record<string, unknown>;
}
