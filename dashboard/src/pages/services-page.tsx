/** Service health: per-endpoint and per-edge aggregates for a window, and the dependency graph. */
import { useState } from 'react';
import { useApi } from '../api/context.js';
import { AGGREGATE_WINDOWS, type AggregateWindow, type DashboardConfig, type WindowStats } from '../api/types.js';
import { Empty, ErrorBox, Loading } from '../components/common/states.js';
import { DependencyGraphView } from '../components/services/dependency-graph.js';
import { useAsync } from '../hooks/use-async.js';
import { formatDuration } from '../model/format.js';
import { serviceColour } from '../model/service-colour.js';
import { formatRoute } from '../routing/route.js';
import { navigate } from '../routing/router.js';

function StatCells({ s }: { s: WindowStats }) {
  const errorPct = s.count > 0 ? (s.errors / s.count) * 100 : 0;
  return (
    <>
      <td>{s.ratePerSecond.toFixed(2)}/s</td>
      <td>{s.count}</td>
      <td className={errorPct > 0 ? 'error-cell' : ''}>{errorPct.toFixed(1)} %</td>
      <td>{formatDuration(s.p50Micros)}</td>
      <td>{formatDuration(s.p95Micros)}</td>
      <td>{formatDuration(s.p99Micros)}</td>
    </>
  );
}

const STAT_HEADERS = ['Rate', 'Calls', 'Errors', 'p50', 'p95', 'p99'];

export function ServicesPage({ params }: { params: URLSearchParams }) {
  const api = useApi();
  const config = useAsync((signal) => api.getConfig(signal).catch(() => ({}) as DashboardConfig), [api]);
  const windows = config.status === 'done' && config.value.windows?.length ? config.value.windows : AGGREGATE_WINDOWS;
  const requested = params.get('window') ?? '';
  const window: AggregateWindow = windows.includes(requested)
    ? requested
    : (windows[Math.min(1, windows.length - 1)] ?? '5m');
  const [attempt, setAttempt] = useState(0);
  const aggregates = useAsync((signal) => api.getAggregates(window, signal), [api, window, attempt]);
  const graph = useAsync((signal) => api.getDependencies(signal), [api, attempt]);

  return (
    <div className="services-page">
      <div className="toolbar">
        <fieldset className="segmented">
          <legend>Window</legend>
          {windows.map((w) => (
            <button
              key={w}
              type="button"
              aria-pressed={w === window}
              onClick={() => navigate(formatRoute('services', { window: w }))}
            >
              {w}
            </button>
          ))}
        </fieldset>
        <button type="button" onClick={() => setAttempt((a) => a + 1)}>
          Refresh
        </button>
      </div>
      <h2>Endpoints (last {window})</h2>
      {aggregates.status === 'loading' && <Loading what="aggregates" />}
      {aggregates.status === 'error' && <ErrorBox error={aggregates.error} retry={() => setAttempt((a) => a + 1)} />}
      {aggregates.status === 'done' &&
        (aggregates.value.endpoints.length === 0 ? (
          <Empty>No calls in the last {window}.</Empty>
        ) : (
          <table className="aggregates">
            <thead>
              <tr>
                <th>Service</th>
                <th>Endpoint</th>
                {STAT_HEADERS.map((h) => (
                  <th key={h}>{h}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {aggregates.value.endpoints.map((row) => (
                <tr key={`${row.service}\u0000${row.endpoint}`}>
                  <td>
                    <span className="swatch" style={{ background: serviceColour(row.service) }} />
                    <a href={formatRoute('search', { service: row.service, endpoint: row.endpoint })}>{row.service}</a>
                  </td>
                  <td>{row.endpoint}</td>
                  <StatCells s={row} />
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {aggregates.status === 'done' && aggregates.value.edges.length > 0 && (
        <>
          <h2>Calls between services (last {window}, caller's view)</h2>
          <table className="aggregates">
            <thead>
              <tr>
                <th>Caller</th>
                <th>Callee</th>
                {STAT_HEADERS.map((h) => (
                  <th key={h}>{h}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {aggregates.value.edges.map((row) => (
                <tr key={`${row.from}\u0000${row.to}`}>
                  <td>{row.from}</td>
                  <td>{row.to}</td>
                  <StatCells s={row} />
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h2>Dependencies (since the collector started)</h2>
      {graph.status === 'loading' && <Loading what="dependency graph" />}
      {graph.status === 'error' && <ErrorBox error={graph.error} />}
      {graph.status === 'done' &&
        (graph.value.nodes.length === 0 ? (
          <Empty>No services seen yet.</Empty>
        ) : (
          <div className="graph-scroll">
            <DependencyGraphView graph={graph.value} />
          </div>
        ))}
    </div>
  );
}
