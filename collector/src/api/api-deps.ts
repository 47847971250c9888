import type { Registry } from 'prom-client';
import type { AggregatesSnapshot, DependencyGraph, ServiceInfo } from '../aggregates/aggregate-views.js';
import type { TraceQueries } from '../assembly/trace-query-service.js';
import type { ClusterMember } from '../cluster/cluster-view.js';
import type { CollectorConfig } from '../config/config.js';
import type { ComponentHealth, SpanStore } from '../storage/span-store.js';
import type { TailHub } from '../tail/tail-hub.js';

/** A value, or a promise of it: one core answers at once, the shards of a sharded collector asynchronously. */
type MaybePromise<T> = T | Promise<T>;

/** The live aggregates the routes read (the Aggregates of one core, or the merge over shards). */
export interface LiveAggregates {
  windowLabels(): string[];
  services(): MaybePromise<ServiceInfo[]>;
  snapshot(windowMinutes: number): MaybePromise<AggregatesSnapshot | undefined>;
  dependencies(): MaybePromise<DependencyGraph>;
}

/** What the HTTP routes read from. */
export interface ApiDeps {
  config: CollectorConfig;
  /** The store's name, for /api/config. */
  store: Pick<SpanStore, 'name'>;
  /** Trace by id (stored + pending, skew-corrected) and search. */
  traces: TraceQueries;
  aggregates: LiveAggregates;
  /** Cluster members (receiver/assembler roles). */
  cluster?: { list(): ClusterMember[] };
  tail: TailHub;
  registry: Registry;
  /** Every component's health, Flaki format. */
  health(): Promise<Record<string, ComponentHealth>>;
  /** Self counters for /api/stats. */
  stats(): MaybePromise<Record<string, unknown>>;
}
