/** An in-memory ApiClient over fixture data, for page tests (no collector needed). */
import type { ApiClient } from '../../src/api/client.js';
import type { AggregatesSnapshot, DashboardConfig, DependencyGraph, Span, TraceSummary } from '../../src/api/types.js';

export interface FakeApiData {
  traces?: Record<string, Span[]>;
  searchResults?: TraceSummary[];
  aggregates?: AggregatesSnapshot;
  dependencies?: DependencyGraph;
  config?: DashboardConfig;
  /** Makes every call fail with this error. */
  failWith?: Error;
}

/** Records calls so tests can check what a page asked for. */
export function fakeApi(data: FakeApiData): ApiClient & { calls: string[] } {
  const calls: string[] = [];
  const guard = async <T>(name: string, value: () => T): Promise<T> => {
    calls.push(name);
    if (data.failWith) throw data.failWith;
    return value();
  };
  return {
    calls,
    searchTraces: (params) => guard(`search ${JSON.stringify(params)}`, () => data.searchResults ?? []),
    getTrace: (id) => guard(`trace ${id}`, () => data.traces?.[id]),
    getServices: () => guard('services', () => []),
    getAggregates: (window) =>
      guard(
        `aggregates ${window}`,
        () =>
          data.aggregates ?? { window, windowSeconds: 300, generatedAtMicros: 0, endpoints: [], edges: [], hosts: [] },
      ),
    getDependencies: () => guard('dependencies', () => data.dependencies ?? { nodes: [], edges: [] }),
    getConfig: () => guard('config', () => data.config ?? {}),
    tailUrl: (filters) =>
      `/api/tail?${new URLSearchParams(Object.entries(filters).map(([k, v]) => [k, String(v)])).toString()}`,
  };
}
