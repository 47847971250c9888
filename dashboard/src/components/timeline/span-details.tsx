/**
 * Everything about one span: ids, services, hosts, the four event times (adjusted and raw,
 * as offsets from the trace start), durations, skew, missing events, error and tags. All values
 * are rendered as text; nothing from the span becomes a link.
 */
import type { Span } from '../../api/types.js';
import { EVENT_TYPES } from '../../api/types.js';
import { formatDuration, formatOffset, formatTimestamp } from '../../model/format.js';
import { serviceColour } from '../../model/service-colour.js';
import { skewDescription, skewShifts } from '../../model/skew-shifts.js';
import { COMPLETENESS_TEXT, type Completeness } from '../../model/span-completeness.js';

export interface SpanDetailsProps {
  span: Span;
  /** Whether the span's missing events were lost or are expected (entry, uninstrumented callee). */
  completeness: Completeness;
  traceStartMicros: number;
  onClose: () => void;
  onZoom: () => void;
  onSelectParent?: (() => void) | undefined;
}

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

export function SpanDetails({
  span,
  completeness,
  traceStartMicros,
  onClose,
  onZoom,
  onSelectParent,
}: SpanDetailsProps) {
  const tags = Object.entries(span.tags).sort(([a], [b]) => a.localeCompare(b));
  return (
    <aside className="span-details" aria-label="Span details">
      <header>
        <span className="swatch" style={{ background: serviceColour(span.to) }} />
        <h3>
          {span.to}.{span.toEndpoint}
        </h3>
        <button type="button" onClick={onZoom}>
          Zoom to span
        </button>
        <button type="button" onClick={onClose} aria-label="Close details">
          ✕
        </button>
      </header>
      {(span.errorCode || span.errorDescription) && (
        <p className="details-error" role="note">
          <strong>{span.errorCode ?? 'error'}</strong> {span.errorDescription}
        </p>
      )}
      <dl>
        <Field label="Caller">
          {span.from}.{span.fromEndpoint}
        </Field>
        <Field label="Callee">
          {span.to}.{span.toEndpoint}
        </Field>
        <Field label="Span id">{span.spanId}</Field>
        <Field label="Parent">
          {span.parentSpanId ? (
            onSelectParent ? (
              <button type="button" className="link-button" onClick={onSelectParent}>
                {span.parentSpanId}
              </button>
            ) : (
              `${span.parentSpanId} (not in trace)`
            )
          ) : (
            'root'
          )}
        </Field>
        <Field label="Trace id">{span.traceId}</Field>
        <Field label="Client host">
          {span.clientZone ?? ''}/{span.clientHost ?? '?'}
        </Field>
        <Field label="Server host">
          {span.serverZone ?? ''}/{span.serverHost ?? '?'}
        </Field>
        <Field label="Duration">{formatDuration(span.durationMicros)}</Field>
        <Field label="Client (REQ→REP)">
          {span.clientDurationMicros === undefined ? 'unknown' : formatDuration(span.clientDurationMicros)}
        </Field>
        <Field label="Server (IN→OUT)">
          {span.serverDurationMicros === undefined ? 'unknown' : formatDuration(span.serverDurationMicros)}
        </Field>
        <Field label="Clock skew">{skewDescription(skewShifts(span))}</Field>
        <Field label="Missing events">
          {span.missing.length === 0
            ? 'none'
            : completeness === 'entry' || completeness === 'uninstrumented-callee'
              ? `${span.missing.join(', ')}: expected, ${COMPLETENESS_TEXT[completeness].label} (${COMPLETENESS_TEXT[completeness].title})`
              : `${span.missing.join(', ')}: lost (partial span)`}
        </Field>
        {span.persistent !== undefined && <Field label="Persistent">{span.persistent ? 'yes' : 'no'}</Field>}
        {span.lateEvents !== undefined && <Field label="Late events">{String(span.lateEvents)}</Field>}
      </dl>
      <table className="details-events">
        <caption>Events</caption>
        <thead>
          <tr>
            <th>Event</th>
            <th>Adjusted</th>
            <th>Raw</th>
            <th>Time (UTC)</th>
          </tr>
        </thead>
        <tbody>
          {EVENT_TYPES.map((type) => {
            const adjusted = span.events[type];
            const raw = span.rawEvents[type];
            return (
              <tr key={type} className={adjusted === undefined ? 'missing' : ''}>
                <th scope="row">{type}</th>
                <td>{adjusted === undefined ? 'missing' : formatOffset(adjusted - traceStartMicros)}</td>
                <td>{raw === undefined ? 'missing' : formatOffset(raw - traceStartMicros)}</td>
                <td>{adjusted === undefined ? '' : formatTimestamp(adjusted)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <table className="details-tags">
        <caption>Tags ({tags.length})</caption>
        <tbody>
          {tags.map(([key, value]) => (
            <tr key={key}>
              <th scope="row">{key}</th>
              <td>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </aside>
  );
}
