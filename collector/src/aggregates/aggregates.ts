import type { EmitReason } from '../assembly/span-sink.js';
import { NON_HOP_KIND_TAG, type Span } from '../model/span.js';
import {
  N_CLIENT_DURATION,
  N_SERVER_DURATION,
  NUMBER_STRIDE,
  SpanBatch,
  T_ERROR_CODE,
  T_FROM,
  T_FROM_ENDPOINT,
  T_SERVER_HOST,
  T_TO,
  T_TO_ENDPOINT,
  TEXT_STRIDE,
} from '../model/span-batch.js';
import type { SpanConsumer } from '../pipeline/pipeline-component.js';
import type {
  AggregatesSnapshot,
  DependencyGraph,
  ExportedAggregates,
  MergeableAggregates,
  MergeableWindow,
  ServiceInfo,
} from './aggregate-views.js';
import { PairMap } from './pair-map.js';
import { RollingHistogram, type WindowStats } from './rolling-histogram.js';

/** Aggregate settings (`aggregates:` in collector.yml). */
export interface AggregatesOptions {
  windowsMinutes: number[];
  bucketSeconds: number;
  /** Cap per family (endpoints, edges, hosts, graph edges, catalog entries); new keys past it are dropped and counted. */
  maxKeys: number;
  /** Wall clock in ms; tests inject one. */
  now?: () => number;
}

interface Keyed<T> {
  labels: T;
  stats: RollingHistogram;
}

/**
 * Live aggregates computed at ingest: rolling-window latency/rate/error stats per endpoint, edge
 * and host (HDR histograms in time buckets), plus the cumulative dependency graph and service
 * catalog. Every map is capped by `maxKeys`, so hostile names cannot grow memory without bound.
 */
export class Aggregates implements SpanConsumer {
  readonly statsKey = 'aggregates';
  private readonly bucketMillis: number;
  private readonly bucketCount: number;
  private readonly now: () => number;
  private readonly startedAtMillis: number;
  private readonly endpoints = new PairMap<Keyed<{ service: string; endpoint: string }>>();
  private readonly edges = new PairMap<Keyed<{ from: string; to: string }>>();
  private readonly hosts = new Map<string, Keyed<{ host: string }>>();
  private readonly graphNodes = new Map<string, { service: string; calls: number; errors: number }>();
  private readonly graphEdges = new PairMap<{ from: string; to: string; calls: number; errors: number }>();
  private readonly catalog = new Map<string, Set<string>>();
  private catalogSize = 0;
  private droppedKeys = 0;
  private recordedSpans = 0;
  /** The batch {@link recordAll} turns Span objects into. */
  private readonly scratch = new SpanBatch();

  constructor(private readonly options: AggregatesOptions) {
    this.now = options.now ?? Date.now;
    this.startedAtMillis = this.now();
    this.bucketMillis = options.bucketSeconds * 1000;
    const largestMillis = Math.max(...options.windowsMinutes) * 60_000;
    this.bucketCount = Math.ceil(largestMillis / this.bucketMillis);
  }

  /** Window labels accepted by {@link snapshot}, e.g. ["1m", "5m", "15m"]. */
  windowLabels(): string[] {
    return this.options.windowsMinutes.map((m) => `${m}m`);
  }

  /** Pipeline entry: counts new spans; late updates re-emit a span already counted, so they are skipped. */
  consume(spans: readonly Span[], reason: EmitReason): void {
    if (reason !== 'late') this.recordAll(spans);
  }

  /** {@link consume} for spans as columns. */
  consumeBatch(batch: SpanBatch, reason: EmitReason): void {
    if (reason !== 'late') this.recordBatch(batch);
  }

  /** Counts a newly finished span (not its late updates, so no request is counted twice). */
  record(span: Span): void {
    this.recordAll([span]);
  }

  /** Counts newly finished spans, all at the current time (one clock read per batch). */
  recordAll(spans: readonly Span[]): void {
    this.recordBatch(this.scratch.refill(spans));
    this.scratch.clear();
  }

  /** {@link recordAll} for spans as columns. */
  recordBatch(batch: SpanBatch): void {
    const now = this.now();
    for (let i = 0; i < batch.length; i++) this.recordAt(batch, i, now);
  }

  private recordAt(batch: SpanBatch, i: number, now: number): void {
    // Spans that are not hops (OTel INTERNAL and messaging spans) have no caller/callee to count.
    if ((batch.tags[i] as Record<string, string>)[NON_HOP_KIND_TAG] !== undefined) return;
    this.recordedSpans++;
    const text = batch.text;
    const t = i * TEXT_STRIDE;
    const numbers = batch.numbers;
    const n = i * NUMBER_STRIDE;
    const error = text[t + T_ERROR_CODE] !== undefined;
    const to = text[t + T_TO] as string;
    const toEndpoint = text[t + T_TO_ENDPOINT] as string;
    const from = text[t + T_FROM] as string;
    const serverDuration = numbers[n + N_SERVER_DURATION] as number;
    const clientDuration = numbers[n + N_CLIENT_DURATION] as number;
    if (!Number.isNaN(serverDuration) && to) {
      let endpoint = this.endpoints.get(to, toEndpoint);
      if (endpoint === undefined && this.hasRoom(this.endpoints.size)) {
        endpoint = this.newKeyed({ service: to, endpoint: toEndpoint });
        this.endpoints.set(to, toEndpoint, endpoint);
      }
      endpoint?.stats.record(serverDuration, error, now);
      const serverHost = text[t + T_SERVER_HOST];
      if (serverHost) {
        let host = this.hosts.get(serverHost);
        if (host === undefined && this.hasRoom(this.hosts.size)) {
          host = this.newKeyed({ host: serverHost });
          this.hosts.set(serverHost, host);
        }
        host?.stats.record(serverDuration, error, now);
      }
    }
    if (!Number.isNaN(clientDuration) && to) {
      let edge = this.edges.get(from, to);
      if (edge === undefined && this.hasRoom(this.edges.size)) {
        edge = this.newKeyed({ from, to });
        this.edges.set(from, to, edge);
      }
      edge?.stats.record(clientDuration, error, now);
    }
    this.recordGraph(from, to, error);
    this.recordCatalog(to, toEndpoint);
    this.recordCatalog(from, text[t + T_FROM_ENDPOINT] as string);
  }

  /** Stats over a window given as minutes; undefined when that window is not configured. */
  snapshot(windowMinutes: number): AggregatesSnapshot | undefined {
    if (!this.options.windowsMinutes.includes(windowMinutes)) return undefined;
    const now = this.now();
    const windowBuckets = Math.ceil((windowMinutes * 60_000) / this.bucketMillis);
    const elapsed = now - this.startedAtMillis;
    const since = now - windowMinutes * 60_000;
    const collect = <T>(map: { values(): Iterable<Keyed<T>> }) => {
      const rows: (T & WindowStats)[] = [];
      for (const entry of map.values()) {
        if (entry.stats.isIdleSince(since)) continue;
        const stats = entry.stats.snapshot(windowBuckets, now, elapsed);
        if (stats.count > 0) rows.push({ ...entry.labels, ...stats });
      }
      return rows.sort((a, b) => b.count - a.count);
    };
    return {
      window: `${windowMinutes}m`,
      windowSeconds: windowMinutes * 60,
      generatedAtMicros: now * 1000,
      endpoints: collect(this.endpoints),
      edges: collect(this.edges),
      hosts: collect(this.hosts),
    };
  }

  /** Every configured window as mergeable parts, plus the graph and catalog: a cluster member's export. */
  exportAll(): ExportedAggregates {
    return {
      elapsedMillis: this.now() - this.startedAtMillis,
      windows: this.options.windowsMinutes
        .map((m) => this.mergeableSnapshot(m))
        .filter((w): w is MergeableAggregates => w !== undefined),
      dependencies: this.dependencies(),
      services: this.services(),
    };
  }

  /**
   * The window's rows as mergeable parts (counts and compressed HDR histograms instead of
   * percentiles), for summing several collectors' or shards' aggregates with
   * {@link mergeAggregateSnapshots}; undefined when that window is not configured.
   */
  mergeableSnapshot(windowMinutes: number): MergeableAggregates | undefined {
    if (!this.options.windowsMinutes.includes(windowMinutes)) return undefined;
    const now = this.now();
    const windowBuckets = Math.ceil((windowMinutes * 60_000) / this.bucketMillis);
    const since = now - windowMinutes * 60_000;
    const collect = <T>(map: { values(): Iterable<Keyed<T>> }) => {
      const rows: (T & MergeableWindow)[] = [];
      for (const entry of map.values()) {
        if (entry.stats.isIdleSince(since)) continue;
        const part = entry.stats.windowPart(windowBuckets, now);
        if (part.count > 0) rows.push({ ...entry.labels, ...part });
      }
      return rows;
    };
    return {
      window: `${windowMinutes}m`,
      windowSeconds: windowMinutes * 60,
      elapsedMillis: now - this.startedAtMillis,
      generatedAtMicros: now * 1000,
      endpoints: collect(this.endpoints),
      edges: collect(this.edges),
      hosts: collect(this.hosts),
    };
  }

  /** The dependency graph since start. */
  dependencies(): DependencyGraph {
    return {
      nodes: [...this.graphNodes.values()].map((n) => ({ ...n })).sort((a, b) => a.service.localeCompare(b.service)),
      edges: [...this.graphEdges.values()].map((e) => ({ ...e })).sort((a, b) => b.calls - a.calls),
    };
  }

  /** Services seen with their endpoints. */
  services(): ServiceInfo[] {
    return [...this.catalog.entries()]
      .map(([service, endpoints]) => ({ service, endpoints: [...endpoints].sort() }))
      .sort((a, b) => a.service.localeCompare(b.service));
  }

  /** Forgets rolling keys with no data in the largest window (called periodically). */
  prune(): void {
    const since = this.now() - this.bucketCount * this.bucketMillis;
    const idle = (entry: Keyed<unknown>) => entry.stats.isIdleSince(since);
    this.endpoints.deleteWhere(idle);
    this.edges.deleteWhere(idle);
    for (const [key, entry] of this.hosts) if (idle(entry)) this.hosts.delete(key);
  }

  /** Self counters. */
  stats(): Record<string, number> {
    return {
      recordedSpans: this.recordedSpans,
      aggregateKeys: this.endpoints.size + this.edges.size + this.hosts.size,
      droppedAggregateKeys: this.droppedKeys,
    };
  }

  /** True when a family of `size` keys may take one more; counts the drop otherwise. */
  private hasRoom(size: number): boolean {
    if (size < this.options.maxKeys) return true;
    this.droppedKeys++;
    return false;
  }

  private newKeyed<T>(labels: T): Keyed<T> {
    return { labels, stats: new RollingHistogram(this.bucketMillis, this.bucketCount) };
  }

  private recordGraph(from: string, to: string, error: boolean): void {
    if (to) {
      const node = this.graphNode(to);
      if (node) {
        node.calls++;
        if (error) node.errors++;
      }
    }
    if (from) this.graphNode(from);
    if (from && to) {
      let edge = this.graphEdges.get(from, to);
      if (!edge) {
        if (this.graphEdges.size >= this.options.maxKeys) {
          this.droppedKeys++;
          return;
        }
        edge = { from, to, calls: 0, errors: 0 };
        this.graphEdges.set(from, to, edge);
      }
      edge.calls++;
      if (error) edge.errors++;
    }
  }

  private graphNode(service: string) {
    let node = this.graphNodes.get(service);
    if (!node) {
      if (this.graphNodes.size >= this.options.maxKeys) {
        this.droppedKeys++;
        return undefined;
      }
      node = { service, calls: 0, errors: 0 };
      this.graphNodes.set(service, node);
    }
    return node;
  }

  private recordCatalog(service: string, endpoint: string): void {
    if (!service) return;
    let endpoints = this.catalog.get(service);
    if (endpoints?.has(endpoint) || (endpoints && !endpoint)) return;
    if (this.catalogSize >= this.options.maxKeys) {
      this.droppedKeys++;
      return;
    }
    if (!endpoints) {
      endpoints = new Set();
      this.catalog.set(service, endpoints);
      this.catalogSize++;
    }
    if (endpoint) {
      endpoints.add(endpoint);
      this.catalogSize++;
    }
  }
}
