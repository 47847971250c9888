/**
 * Checks of what the collector sends. The API is outside input like any other: every field is
 * checked once, at the edge, and a bad one fails with a message naming it (`spans[3].events.IN`),
 * so components can trust their props. Kept to plain typeof checks: a 100,000-span trace is
 * validated in a few milliseconds.
 */
import { DashboardError } from '../errors.js';
import type {
  AggregatesSnapshot,
  DashboardConfig,
  DependencyEdge,
  DependencyGraph,
  DependencyNode,
  EdgeStats,
  EndpointStats,
  EventType,
  HopTimes,
  HostStats,
  ServiceInfo,
  Span,
  TraceSummary,
  WindowStats,
} from './types.js';
import { EVENT_TYPES } from './types.js';

type Obj = Record<string, unknown>;

function fail(path: string, expected: string, value: unknown): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  throw new DashboardError('DSH_ERR_API_SHAPE', `${path}: expected ${expected}, got ${got}`);
}

function obj(value: unknown, path: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
  return value as Obj;
}

function arr(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(path, 'an array', value);
  return value;
}

function str(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string') fail(`${path}.${key}`, 'a string', v);
  return v;
}

function optStr(o: Obj, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(`${path}.${key}`, 'a string', v);
  return v;
}

function num(o: Obj, key: string, path: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}.${key}`, 'a finite number', v);
  return v;
}

function optNum(o: Obj, key: string, path: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}.${key}`, 'a finite number', v);
  return v;
}

function optBool(o: Obj, key: string, path: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') fail(`${path}.${key}`, 'a boolean', v);
  return v;
}

function stringList(value: unknown, path: string): string[] {
  const list = arr(value, path);
  for (let i = 0; i < list.length; i++) if (typeof list[i] !== 'string') fail(`${path}[${i}]`, 'a string', list[i]);
  return list as string[];
}

function hopTimes(value: unknown, path: string): HopTimes {
  const o = obj(value, path);
  const out: HopTimes = {};
  for (const type of EVENT_TYPES) {
    const t = optNum(o, type, path);
    if (t !== undefined) out[type] = t;
  }
  return out;
}

function tagMap(value: unknown, path: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  const o = obj(value, path);
  const out: Record<string, string> = {};
  for (const key of Object.keys(o)) {
    const v = o[key];
    if (typeof v !== 'string') fail(`${path}[${JSON.stringify(key)}]`, 'a string', v);
    out[key] = v;
  }
  return out;
}

/** Validates one span; `path` names it in errors. */
export function parseSpan(value: unknown, path = 'span'): Span {
  const o = obj(value, path);
  const missingRaw = o.missing === undefined ? [] : stringList(o.missing, `${path}.missing`);
  for (let i = 0; i < missingRaw.length; i++) {
    if (!(EVENT_TYPES as readonly string[]).includes(missingRaw[i]!)) {
      fail(`${path}.missing[${i}]`, 'one of REQ, IN, OUT, REP', missingRaw[i]);
    }
  }
  const events = hopTimes(o.events, `${path}.events`);
  const span: Span = {
    traceId: str(o, 'traceId', path),
    spanId: str(o, 'spanId', path),
    from: str(o, 'from', path),
    fromEndpoint: str(o, 'fromEndpoint', path),
    to: str(o, 'to', path),
    toEndpoint: str(o, 'toEndpoint', path),
    events,
    rawEvents: o.rawEvents === undefined ? events : hopTimes(o.rawEvents, `${path}.rawEvents`),
    skewMicros: optNum(o, 'skewMicros', path) ?? 0,
    skewCorrected: optBool(o, 'skewCorrected', path) ?? false,
    missing: missingRaw as EventType[],
    startMicros: num(o, 'startMicros', path),
    durationMicros: num(o, 'durationMicros', path),
    tags: tagMap(o.tags, `${path}.tags`),
  };
  const parentSpanId = optStr(o, 'parentSpanId', path);
  if (parentSpanId) span.parentSpanId = parentSpanId;
  for (const key of [
    'clientHost',
    'clientZone',
    'serverHost',
    'serverZone',
    'errorCode',
    'errorDescription',
  ] as const) {
    const v = optStr(o, key, path);
    if (v !== undefined) span[key] = v;
  }
  for (const key of ['clientDurationMicros', 'serverDurationMicros', 'lateEvents'] as const) {
    const v = optNum(o, key, path);
    if (v !== undefined) span[key] = v;
  }
  const persistent = optBool(o, 'persistent', path);
  if (persistent !== undefined) span.persistent = persistent;
  return span;
}

/** Validates `GET /api/traces/:id`: either an array of spans or `{ traceId, spans }`. */
export function parseTrace(value: unknown): Span[] {
  const list = Array.isArray(value) ? value : arr(obj(value, 'trace').spans, 'trace.spans');
  const spans = new Array<Span>(list.length);
  for (let i = 0; i < list.length; i++) spans[i] = parseSpan(list[i], `spans[${i}]`);
  return spans;
}

/** Validates one search result row. */
export function parseTraceSummary(value: unknown, path: string): TraceSummary {
  const o = obj(value, path);
  return {
    traceId: str(o, 'traceId', path),
    rootService: str(o, 'rootService', path),
    rootEndpoint: str(o, 'rootEndpoint', path),
    // Absent from collectors older than the field: their summaries said nothing about it.
    rootSeen: optBool(o, 'rootSeen', path) ?? true,
    startMicros: num(o, 'startMicros', path),
    durationMicros: num(o, 'durationMicros', path),
    spanCount: num(o, 'spanCount', path),
    errorCount: num(o, 'errorCount', path),
    services: o.services === undefined ? [] : stringList(o.services, `${path}.services`),
  };
}

/** Validates `GET /api/traces?…`: an array of rows or `{ traces: [...] }`. */
export function parseTraceSummaries(value: unknown): TraceSummary[] {
  const list = Array.isArray(value) ? value : arr(obj(value, 'response').traces, 'response.traces');
  return list.map((row, i) => parseTraceSummary(row, `traces[${i}]`));
}

/** Validates `GET /api/services`: `[{service, endpoints}]` or `{services: [...]}`. */
export function parseServices(value: unknown): ServiceInfo[] {
  const list = Array.isArray(value) ? value : arr(obj(value, 'response').services, 'response.services');
  return list.map((item, i) => {
    const o = obj(item, `services[${i}]`);
    return {
      service: str(o, 'service', `services[${i}]`),
      endpoints: o.endpoints === undefined ? [] : stringList(o.endpoints, `services[${i}].endpoints`),
    };
  });
}

function windowStats(o: Obj, path: string): WindowStats {
  return {
    count: num(o, 'count', path),
    ratePerSecond: num(o, 'ratePerSecond', path),
    errors: num(o, 'errors', path),
    p50Micros: num(o, 'p50Micros', path),
    p95Micros: num(o, 'p95Micros', path),
    p99Micros: num(o, 'p99Micros', path),
    maxMicros: optNum(o, 'maxMicros', path) ?? 0,
  };
}

/** Validates `GET /api/aggregates?window=…`. */
export function parseAggregates(value: unknown): AggregatesSnapshot {
  const o = obj(value, 'aggregates');
  const endpoints: EndpointStats[] = arr(o.endpoints, 'aggregates.endpoints').map((item, i) => {
    const path = `aggregates.endpoints[${i}]`;
    const r = obj(item, path);
    return { service: str(r, 'service', path), endpoint: str(r, 'endpoint', path), ...windowStats(r, path) };
  });
  const edges: EdgeStats[] = arr(o.edges ?? [], 'aggregates.edges').map((item, i) => {
    const path = `aggregates.edges[${i}]`;
    const r = obj(item, path);
    return { from: str(r, 'from', path), to: str(r, 'to', path), ...windowStats(r, path) };
  });
  const hosts: HostStats[] = arr(o.hosts ?? [], 'aggregates.hosts').map((item, i) => {
    const path = `aggregates.hosts[${i}]`;
    const r = obj(item, path);
    return { host: str(r, 'host', path), ...windowStats(r, path) };
  });
  return {
    window: str(o, 'window', 'aggregates'),
    windowSeconds: num(o, 'windowSeconds', 'aggregates'),
    generatedAtMicros: optNum(o, 'generatedAtMicros', 'aggregates') ?? 0,
    endpoints,
    edges,
    hosts,
  };
}

/** Validates `GET /api/dependencies`: `{ nodes, edges }`; services named only by edges get a node. */
export function parseDependencies(value: unknown): DependencyGraph {
  const o = obj(value, 'dependencies');
  const nodes: DependencyNode[] = arr(o.nodes, 'dependencies.nodes').map((n, i) => {
    const path = `dependencies.nodes[${i}]`;
    const no = obj(n, path);
    return {
      service: str(no, 'service', path),
      calls: optNum(no, 'calls', path) ?? 0,
      errors: optNum(no, 'errors', path) ?? 0,
    };
  });
  const ids = new Set(nodes.map((n) => n.service));
  const edges: DependencyEdge[] = arr(o.edges, 'dependencies.edges').map((e, i) => {
    const path = `dependencies.edges[${i}]`;
    const eo = obj(e, path);
    const edge = {
      from: str(eo, 'from', path),
      to: str(eo, 'to', path),
      calls: num(eo, 'calls', path),
      errors: optNum(eo, 'errors', path) ?? 0,
    };
    for (const id of [edge.from, edge.to]) {
      if (!ids.has(id)) {
        ids.add(id);
        nodes.push({ service: id, calls: 0, errors: 0 });
      }
    }
    return edge;
  });
  return { nodes, edges };
}

/** Validates `GET /api/config`. */
export function parseConfig(value: unknown): DashboardConfig {
  const o = obj(value, 'config');
  const config: DashboardConfig = {};
  const kibanaUrl = optStr(o, 'kibanaUrl', 'config');
  if (kibanaUrl) config.kibanaUrl = kibanaUrl;
  const pattern = optStr(o, 'kibanaIndexPattern', 'config');
  if (pattern) config.kibanaIndexPattern = pattern;
  if (o.windows !== undefined && o.windows !== null) config.windows = stringList(o.windows, 'config.windows');
  return config;
}
