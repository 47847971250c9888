/**
 * Search: the form writes its fields into the URL (so a search is a shareable link), and the
 * page runs the search described by the URL. A pasted trace id opens the trace directly.
 */
import { type FormEvent, useMemo, useState } from 'react';
import { useApi } from '../api/context.js';
import type { ServiceInfo } from '../api/types.js';
import { Empty, ErrorBox, Loading } from '../components/common/states.js';
import { DurationScatter } from '../components/search/duration-scatter.js';
import { DashboardError } from '../errors.js';
import { useAsync } from '../hooks/use-async.js';
import { formatDuration, formatTimestamp } from '../model/format.js';
import { isTraceId } from '../model/ids.js';
import { LOOKBACKS, parseSearch } from '../model/search-form.js';
import { serviceColour } from '../model/service-colour.js';
import { formatRoute, traceHref } from '../routing/route.js';
import { navigate } from '../routing/router.js';

const FIELDS = ['service', 'endpoint', 'minMs', 'maxMs', 'errors', 'tag', 'lookback', 'from', 'to', 'limit'] as const;

export function SearchPage({ params }: { params: URLSearchParams }) {
  const api = useApi();
  const key = params.toString();
  // The lookback is anchored when the URL changes, not on every render.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for `params`.
  const parsed = useMemo(() => parseSearch(params, Date.now() * 1000), [key]);
  const [attempt, setAttempt] = useState(0);
  const results = useAsync(parsed.ok ? (signal) => api.searchTraces(parsed.query, signal) : undefined, [
    api,
    key,
    attempt,
  ]);
  const services = useAsync<ServiceInfo[]>((signal) => api.getServices(signal).catch(() => []), [api]);

  return (
    <div className="search-page">
      <SearchForm params={params} services={services.status === 'done' ? services.value : []} />
      {!parsed.ok && <ErrorBox error={new DashboardError('DSH_ERR_SEARCH_INPUT', parsed.errors.join('; '))} />}
      {results.status === 'loading' && <Loading what="traces" />}
      {results.status === 'error' && <ErrorBox error={results.error} retry={() => setAttempt((a) => a + 1)} />}
      {results.status === 'done' && results.value.length === 0 && (
        <Empty>No traces match. Widen the time range or remove filters.</Empty>
      )}
      {results.status === 'done' && results.value.length > 0 && (
        <>
          <DurationScatter rows={results.value} />
          <table className="results">
            <caption>{results.value.length} traces, newest first</caption>
            <thead>
              <tr>
                <th>Root</th>
                <th>Started (UTC)</th>
                <th>Duration</th>
                <th>Spans</th>
                <th>Errors</th>
                <th>Services</th>
              </tr>
            </thead>
            <tbody>
              {results.value.map((r) => (
                <tr key={r.traceId} className={r.errorCount > 0 ? 'error' : ''}>
                  <td>
                    <a href={traceHref(r.traceId)}>
                      <span className="swatch" style={{ background: serviceColour(r.rootService) }} />
                      {r.rootService}.{r.rootEndpoint}
                    </a>
                    {r.rootSeen ? null : (
                      <span
                        className="badge"
                        title="No span without a parent is stored yet: the root request is in progress, or its events were lost"
                      >
                        root not seen
                      </span>
                    )}
                    <div className="mono small">{r.traceId}</div>
                  </td>
                  <td>{formatTimestamp(r.startMicros)}</td>
                  <td>{formatDuration(r.durationMicros)}</td>
                  <td>{r.spanCount}</td>
                  <td>{r.errorCount > 0 ? <span className="badge badge-error">{r.errorCount}</span> : '0'}</td>
                  <td className="services-cell">{r.services.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

function SearchForm({ params, services }: { params: URLSearchParams; services: readonly ServiceInfo[] }) {
  const [traceId, setTraceId] = useState('');
  const [traceIdError, setTraceIdError] = useState<string | undefined>();
  const [lookback, setLookback] = useState(params.get('lookback') ?? '1h');
  const [service, setService] = useState(params.get('service') ?? '');
  const endpoints = services.find((s) => s.service === service)?.endpoints ?? [];

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const next: Record<string, string | undefined> = {};
    for (const field of FIELDS) {
      const value = data.get(field);
      if (typeof value === 'string') next[field] = value.trim();
    }
    next.errors = data.get('errors') ? '1' : undefined;
    navigate(formatRoute('search', next));
  };

  return (
    <div className="search-forms">
      <form
        className="trace-id-form"
        onSubmit={(e) => {
          e.preventDefault();
          const id = traceId.trim();
          if (!isTraceId(id)) {
            setTraceIdError('DSH_ERR_ROUTE_TRACE_ID: a trace id is 1–64 letters, digits, - and _');
            return;
          }
          navigate(traceHref(id));
        }}
      >
        <label>
          Trace / correlation id
          <input
            name="traceId"
            value={traceId}
            onChange={(e) => setTraceId(e.target.value)}
            placeholder="paste an id"
          />
        </label>
        <button type="submit">Open</button>
        {traceIdError && <span role="alert">{traceIdError}</span>}
      </form>
      <form className="search-form" onSubmit={submit} aria-label="Search traces">
        <label>
          Service
          <input name="service" list="services-list" value={service} onChange={(e) => setService(e.target.value)} />
          <datalist id="services-list">
            {services.map((s) => (
              <option key={s.service} value={s.service} />
            ))}
          </datalist>
        </label>
        <label>
          Endpoint
          <input name="endpoint" list="endpoints-list" defaultValue={params.get('endpoint') ?? ''} />
          <datalist id="endpoints-list">
            {endpoints.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
        </label>
        <label>
          Min duration (ms)
          <input name="minMs" inputMode="decimal" defaultValue={params.get('minMs') ?? ''} size={6} />
        </label>
        <label>
          Max duration (ms)
          <input name="maxMs" inputMode="decimal" defaultValue={params.get('maxMs') ?? ''} size={6} />
        </label>
        <label>
          Tags (key=value, comma-separated)
          <input name="tag" defaultValue={params.getAll('tag').join(', ')} />
        </label>
        <label>
          Time range
          <select name="lookback" value={lookback} onChange={(e) => setLookback(e.target.value)}>
            {Object.keys(LOOKBACKS).map((k) => (
              <option key={k} value={k}>
                last {k}
              </option>
            ))}
            <option value="all">all time</option>
            <option value="custom">custom…</option>
          </select>
        </label>
        {lookback === 'custom' && (
          <>
            <label>
              From
              <input name="from" type="datetime-local" step="1" defaultValue={params.get('from') ?? ''} />
            </label>
            <label>
              To
              <input name="to" type="datetime-local" step="1" defaultValue={params.get('to') ?? ''} />
            </label>
          </>
        )}
        <label>
          Limit
          <input name="limit" inputMode="numeric" defaultValue={params.get('limit') ?? ''} size={4} placeholder="50" />
        </label>
        <label className="checkbox">
          <input name="errors" type="checkbox" defaultChecked={params.get('errors') === '1'} /> Errors only
        </label>
        <button type="submit">Search</button>
      </form>
    </div>
  );
}
