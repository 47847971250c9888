import type { Registry } from 'prom-client';
import type { TraceQueries } from '../assembly/trace-query-service.js';
import type { AggregatesView, ClusterMember } from '../cluster/cluster-view.js';
import type { CollectorConfig } from '../config/config.js';
import type { ComponentHealth, SpanStore } from '../storage/span-store.js';
import type { TailHub } from '../tail/tail-hub.js';

/** What the HTTP routes read from. */
export interface ApiDeps {
  config: CollectorConfig;
  store: SpanStore;
  /** Trace by id (stored + pending, skew-corrected) and search. */
  traces: TraceQueries;
  /** Live aggregates: this process's, or merged across the cluster's assemblers (receiver/assembler roles). */
  aggregates: AggregatesView;
  /** Cluster members (receiver/assembler roles). */
  cluster?: { list(): ClusterMember[] };
  tail: TailHub;
  registry: Registry;
  /** Every component's health, Flaki format. */
  health(): Promise<Record<string, ComponentHealth>>;
  /** Self counters for /api/stats. */
  stats(): Record<string, unknown>;
}
