/** Live tail: spans as they finish, filtered by service and errors, with pause/resume. */
import { useState } from 'react';
import { useApi } from '../api/context.js';
import type { Span } from '../api/types.js';
import { Empty, ErrorBox } from '../components/common/states.js';
import { DashboardError } from '../errors.js';
import { type EventSourceFactory, MAX_TAIL_SPANS, useSpanTail } from '../hooks/use-span-tail.js';
import { formatDuration, formatTimestamp } from '../model/format.js';
import { serviceColour } from '../model/service-colour.js';
import { COMPLETENESS_TEXT, spanCompleteness } from '../model/span-completeness.js';
import { isError } from '../model/trace-tree.js';
import { formatRoute, traceHref } from '../routing/route.js';
import { navigate } from '../routing/router.js';

export function TailPage({
  params,
  eventSourceFactory,
}: {
  params: URLSearchParams;
  eventSourceFactory?: EventSourceFactory;
}) {
  const api = useApi();
  const service = params.get('service') ?? '';
  const errorsOnly = params.get('errors') === '1';
  const [paused, setPaused] = useState(false);
  const url = api.tailUrl({ service: service || undefined, errorsOnly });
  const tail = useSpanTail(url, paused, eventSourceFactory);

  return (
    <div className="tail-page">
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          navigate(
            formatRoute('tail', {
              service: String(data.get('service') ?? '').trim(),
              errors: data.get('errors') ? '1' : undefined,
            }),
          );
        }}
      >
        <label>
          Service <input name="service" defaultValue={service} />
        </label>
        <label className="checkbox">
          <input name="errors" type="checkbox" defaultChecked={errorsOnly} /> Errors only
        </label>
        <button type="submit">Apply</button>
        <button type="button" onClick={() => setPaused((p) => !p)} aria-pressed={paused}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <span className={`tail-status tail-${tail.status}`} role="status">
          {tail.status === 'open' ? 'live' : tail.status}
          {paused && ` · paused, ${tail.missedWhilePaused} new spans not shown`}
          {` · showing ${tail.spans.length} (newest ${MAX_TAIL_SPANS} kept)`}
        </span>
      </form>
      {tail.status === 'closed' && (
        <ErrorBox
          error={new DashboardError('DSH_ERR_TAIL_STREAM', 'the collector closed the live tail; reload to retry')}
        />
      )}
      {tail.malformed > 0 && (
        <ErrorBox
          error={
            new DashboardError(
              'DSH_ERR_TAIL_STREAM',
              `${tail.malformed} frames were not spans (${tail.lastProblem ?? ''})`,
            )
          }
        />
      )}
      {tail.spans.length === 0 ? (
        <Empty>{tail.status === 'open' ? 'Waiting for spans…' : 'Connecting to the live tail…'}</Empty>
      ) : (
        <table className="tail-table">
          <thead>
            <tr>
              <th>Time (UTC)</th>
              <th>Caller → callee</th>
              <th>Duration</th>
              <th>Status</th>
              <th>Trace</th>
            </tr>
          </thead>
          <tbody>
            {tail.spans.map((s) => (
              <tr key={`${s.traceId}/${s.spanId}`} className={isError(s) ? 'error' : ''}>
                <td>{formatTimestamp(s.startMicros)}</td>
                <td>
                  <span className="swatch" style={{ background: serviceColour(s.to) }} />
                  {s.from} → {s.to}.{s.toEndpoint}
                </td>
                <td>{formatDuration(s.durationMicros)}</td>
                <td>
                  {isError(s) && <span className="badge badge-error">{s.errorCode ?? 'error'}</span>}
                  <CompletenessBadge span={s} />
                </td>
                <td>
                  <a href={traceHref(s.traceId, { span: s.spanId })} className="mono">
                    {s.traceId}
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/**
 * A tail row's missing events. A lone span's children are unknown here, so REQ/REP-only spans
 * read as uninstrumented callees (the common case); the trace view knows for sure.
 */
function CompletenessBadge({ span }: { span: Span }) {
  const kind = spanCompleteness(span, true);
  if (kind === 'complete') return null;
  if (kind === 'partial') return <span className="badge badge-partial">missing {span.missing.join(' ')}</span>;
  return (
    <span className="badge badge-expected" title={COMPLETENESS_TEXT[kind].title}>
      {COMPLETENESS_TEXT[kind].label}
    </span>
  );
}
