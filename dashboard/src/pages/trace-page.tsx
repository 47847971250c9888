/**
 * One trace: header with counts, raw/adjusted toggle, timeline or text view, span details and
 * the Kibana link. The URL holds the view, the time mode and the selected span.
 */
import { useCallback, useMemo, useRef, useState } from 'react';
import { useApi } from '../api/context.js';
import type { LoadProgress } from '../api/trace-source.js';
import type { DashboardConfig, Span } from '../api/types.js';
import { Empty, ErrorBox, Loading, type LoadingProgress } from '../components/common/states.js';
import { SpanDetails } from '../components/timeline/span-details.js';
import { TraceTimeline } from '../components/timeline/trace-timeline.js';
import { TraceText } from '../components/trace-text.js';
import { useAsync } from '../hooks/use-async.js';
import { useTraceSource } from '../hooks/use-trace-source.js';
import { formatDuration, formatTimestamp } from '../model/format.js';
import { canonicalTraceId, isTraceId, otelTraceId } from '../model/ids.js';
import { kibanaDiscoverUrl } from '../model/kibana-link.js';
import { COMPLETENESS_CODES, COMPLETENESS_TEXT } from '../model/span-completeness.js';
import { rowOfSpanId, spanIdAt, type TimeMode } from '../model/trace-tree.js';
import { formatRoute, traceHref } from '../routing/route.js';
import { navigate } from '../routing/router.js';

export function TracePage({ traceId: openedAs, params }: { traceId: string; params: URLSearchParams }) {
  // A pasted OTel, Jaeger or UUID id opens the trace under its canonical id (docs/otel.md), which the header,
  // links, Kibana and the text view use; the OTel form, what Jaeger shows, stays in the header.
  const traceId = canonicalTraceId(openedAs);
  const otelId = otelTraceId(traceId);
  const api = useApi();
  const [attempt, setAttempt] = useState(0);
  const trace = useTraceSource(api, traceId, attempt);
  const config = useAsync<DashboardConfig>((signal) => api.getConfig(signal).catch(() => ({})), [api]);

  const mode: TimeMode = params.get('mode') === 'raw' ? 'raw' : 'adjusted';
  const view = params.get('view') === 'text' ? 'text' : 'timeline';
  const selectedSpanId = params.get('span') ?? undefined;

  const setParam = useCallback(
    (key: string, value: string | undefined, replace = true) => {
      const next = Object.fromEntries(params.entries()) as Record<string, string | undefined>;
      next[key] = value;
      navigate(traceHref(traceId, next), { replace });
    },
    [params, traceId],
  );

  const source = trace.status === 'done' ? trace.source : undefined;
  const tree = source?.tree;
  const selectedRow = useMemo(
    () => (tree && selectedSpanId ? rowOfSpanId(tree, selectedSpanId) : -1),
    [tree, selectedSpanId],
  );
  const [zoomTo, setZoomTo] = useState<{ start: number; end: number } | undefined>();
  const onSelect = useCallback(
    (row: number) => setParam('span', tree && row >= 0 && row < tree.size ? spanIdAt(tree, row) : undefined),
    [setParam, tree],
  );
  // The full span lives with the loader (in the worker for large traces): ask for the one shown.
  const selected = useAsync(
    source && selectedRow >= 0
      ? () => source.span(selectedRow).then((span) => ({ row: selectedRow, span }))
      : undefined,
    [source, selectedRow],
  );
  // Keep showing the previous span until the next one arrives, so stepping through rows with the
  // keyboard does not make the panel (and the timeline's width) flicker. The row travels with the
  // span so the panel never mixes one span's fields with another row's tree data.
  const shownRef = useRef<{ row: number; span: Span } | undefined>(undefined);
  if (selectedRow < 0) shownRef.current = undefined;
  else if (selected.status === 'done') shownRef.current = selected.value;
  const shown = shownRef.current;

  if (trace.status === 'loading')
    return <Loading what={`trace ${traceId}`} progress={describeProgress(trace.progress)} />;
  if (trace.status === 'error') return <ErrorBox error={trace.error} retry={() => setAttempt((a) => a + 1)} />;
  if (!source || !tree) return <Empty>Trace {traceId} is not known to the collector (it may have expired).</Empty>;
  if (tree.size === 0) return <Empty>Trace {traceId} has no spans.</Empty>;

  const times = mode === 'raw' ? tree.raw : tree.adjusted;
  const kibana =
    config.status === 'done'
      ? kibanaDiscoverUrl(config.value.kibanaUrl, traceId, config.value.kibanaIndexPattern)
      : undefined;
  const parentRow = shown ? tree.parent[shown.row]! : -1;

  return (
    <div className="trace-page">
      <header className="trace-header">
        <h2>
          Trace <span className="mono">{traceId}</span>
        </h2>
        {otelId && (
          <p className="trace-otel-id small">
            OpenTelemetry trace id <span className="mono">{otelId}</span>
          </p>
        )}
        <p className="trace-summary">
          {formatTimestamp(times.traceStart)} UTC · {formatDuration(times.traceEnd - times.traceStart)} ·{' '}
          {tree.size.toLocaleString('en')} spans · {tree.services.length} services
          {tree.errorCount > 0 && <span className="badge badge-error">{tree.errorCount} errors</span>}
          {tree.partialCount > 0 && (
            <span className="badge badge-partial" title="Spans with events that were lost">
              {tree.partialCount} partial
            </span>
          )}
          {tree.uninstrumentedCount > 0 && (
            <span className="badge badge-expected" title={COMPLETENESS_TEXT['uninstrumented-callee'].title}>
              {tree.uninstrumentedCount} uninstrumented {tree.uninstrumentedCount === 1 ? 'callee' : 'callees'}
            </span>
          )}
          {tree.skewCorrectedCount > 0 && (
            <span className="badge badge-skew">{tree.skewCorrectedCount} skew-corrected</span>
          )}
        </p>
        <div className="trace-controls">
          <fieldset className="segmented">
            <legend>View</legend>
            <button type="button" aria-pressed={view === 'timeline'} onClick={() => setParam('view', undefined, false)}>
              Timeline
            </button>
            <button type="button" aria-pressed={view === 'text'} onClick={() => setParam('view', 'text', false)}>
              Text
            </button>
          </fieldset>
          <fieldset className="segmented">
            <legend>Times</legend>
            <button type="button" aria-pressed={mode === 'adjusted'} onClick={() => setParam('mode', undefined)}>
              Skew-adjusted
            </button>
            <button type="button" aria-pressed={mode === 'raw'} onClick={() => setParam('mode', 'raw')}>
              Raw
            </button>
          </fieldset>
          <CompareWith traceId={traceId} />
          {kibana && (
            <a className="kibana-link" href={kibana} target="_blank" rel="noopener noreferrer">
              Logs in Kibana
            </a>
          )}
        </div>
      </header>
      {view === 'text' ? (
        <TraceText traceId={traceId} source={source} mode={mode} />
      ) : (
        <div className="trace-body">
          <TraceTimeline tree={tree} mode={mode} selectedRow={selectedRow} onSelect={onSelect} zoomTo={zoomTo} />
          {shown && (
            <SpanDetails
              span={shown.span}
              completeness={COMPLETENESS_CODES[tree.completeness[shown.row]!]!}
              traceStartMicros={times.traceStart}
              onClose={() => setParam('span', undefined)}
              onZoom={() => {
                const pad = Math.max(1, (times.end[shown.row]! - times.start[shown.row]!) * 0.1);
                setZoomTo({ start: times.start[shown.row]! - pad, end: times.end[shown.row]! + pad });
              }}
              onSelectParent={parentRow >= 0 ? () => onSelect(parentRow) : undefined}
            />
          )}
        </div>
      )}
    </div>
  );
}

const MEGABYTE = 1024 * 1024;

/** Words for the loading indicator: what the loader is doing and how far the download is. */
function describeProgress(progress: LoadProgress | undefined): LoadingProgress | undefined {
  if (!progress) return undefined;
  const mb = (bytes: number) => (bytes / MEGABYTE).toFixed(1);
  switch (progress.phase) {
    case 'download':
      return {
        step:
          progress.totalBytes !== undefined
            ? `downloading ${mb(progress.loadedBytes)} of ${mb(progress.totalBytes)} MB`
            : `downloading ${mb(progress.loadedBytes)} MB`,
        done: progress.loadedBytes,
        total: progress.totalBytes,
      };
    case 'parse':
      return { step: `reading ${mb(progress.loadedBytes)} MB of spans` };
    case 'build':
      return {
        step:
          progress.spanCount !== undefined
            ? `building the tree of ${progress.spanCount.toLocaleString('en')} spans`
            : 'building the tree',
      };
  }
}

function CompareWith({ traceId }: { traceId: string }) {
  const [other, setOther] = useState('');
  const [error, setError] = useState<string | undefined>();
  return (
    <form
      className="compare-with"
      onSubmit={(e) => {
        e.preventDefault();
        const id = other.trim();
        if (!isTraceId(id)) {
          setError('DSH_ERR_ROUTE_TRACE_ID: enter a trace id (letters, digits, - and _, at most 64 characters)');
          return;
        }
        navigate(formatRoute('compare', { a: traceId, b: id }));
      }}
    >
      <input
        aria-label="Trace id to compare with"
        placeholder="compare with trace id"
        value={other}
        onChange={(e) => setOther(e.target.value)}
      />
      <button type="submit">Compare</button>
      {error && <span role="alert">{error}</span>}
    </form>
  );
}
