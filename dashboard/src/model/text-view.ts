/**
 * The Phosphor text view (dotGo 2014, slide 9): one line per event in time order,
 *
 *   2014-09-07 02:20:19.883 [eu-west-1a/ip-10-11-3-168] [OUT] svc.hob → svc.config.compile - 5.59 ms
 *    ERR - svc.config.compile: Missing config at xxx
 *
 * with OUT lines carrying the callee's duration and REP lines the caller's. Added to the original:
 * a MISSING line for partial spans (events lost), an "(entry)" note on the IN of a root span
 * whose caller is not instrumented, an "(uninstrumented callee)" note on the REQ of a leaf call
 * to a service without a tracer (both normal: see span-completeness.ts), and a skew note on
 * corrected server events. An unknown caller prints as "-", like the START line.
 */
import type { EventType, Span } from '../api/types.js';
import { formatMillis, formatTimestamp } from './format.js';
import { moved, skewShifts } from './skew-shifts.js';
import { type Completeness, spanCompleteness } from './span-completeness.js';
import type { TimeMode } from './trace-tree.js';

interface EventLine {
  time: number;
  span: Span;
  completeness: Completeness;
  type: EventType;
  /** Tie-break: span position, then hop order. */
  seq: number;
}

const ORDER: Record<EventType, number> = { REQ: 0, IN: 1, OUT: 2, REP: 3 };

function hostOf(span: Span, type: EventType): string {
  const client = type === 'REQ' || type === 'REP';
  const zone = (client ? span.clientZone : span.serverZone) ?? '';
  const host = (client ? span.clientHost : span.serverHost) ?? '';
  return `[${zone}/${host}]`;
}

function lastPresent(span: Span): EventType | undefined {
  for (const type of ['REP', 'OUT', 'IN', 'REQ'] as const) if (span.events[type] !== undefined) return type;
  return undefined;
}

/** Result of {@link traceToText}: the text and whether it was cut at `maxLines`. */
export interface TraceText {
  text: string;
  lineCount: number;
  truncated: boolean;
}

/**
 * Renders a trace in the slide-9 format. `maxLines` bounds the work for huge traces (the view
 * shows a prefix; "copy all" asks again without a limit).
 */
export function traceToText(traceId: string, spans: readonly Span[], mode: TimeMode, maxLines = Infinity): TraceText {
  const events: EventLine[] = [];
  // A span is a leaf when no span names it as parent; decides "uninstrumented callee" vs "partial".
  const parents = new Set<string>();
  for (const span of spans) if (span.parentSpanId) parents.add(span.parentSpanId);
  let seq = 0;
  for (const span of spans) {
    const times = mode === 'raw' ? span.rawEvents : span.events;
    const completeness = spanCompleteness(span, !parents.has(span.spanId));
    for (const type of ['REQ', 'IN', 'OUT', 'REP'] as const) {
      const t = times[type];
      if (t !== undefined) events.push({ time: t, span, completeness, type, seq: seq * 4 + ORDER[type] });
    }
    seq++;
  }
  events.sort((a, b) => a.time - b.time || a.seq - b.seq);

  const lines: string[] = [`Tracing: ${traceId}`, ''];
  const first = events[0];
  if (first) lines.push(`${formatTimestamp(first.time)} [/] [START] → -`);
  let truncated = false;
  for (const e of events) {
    if (lines.length >= maxLines) {
      truncated = true;
      break;
    }
    const { span, type, completeness } = e;
    let duration = '';
    if (type === 'OUT' && span.serverDurationMicros !== undefined)
      duration = ` ${formatMillis(span.serverDurationMicros)}`;
    if (type === 'REP' && span.clientDurationMicros !== undefined)
      duration = ` ${formatMillis(span.clientDurationMicros)}`;
    // Each event line notes the shift of its own side: IN/OUT the callee's, REQ/REP the caller's.
    const shifts = skewShifts(span);
    const shift = type === 'IN' || type === 'OUT' ? shifts.calleeMicros : shifts.callerMicros;
    const skew =
      mode === 'adjusted' && moved(shift)
        ? ` (skew-corrected ${shift >= 0 ? '+' : '-'}${formatMillis(Math.abs(shift))})`
        : '';
    const note =
      completeness === 'entry' && type === 'IN'
        ? ' (entry)'
        : completeness === 'uninstrumented-callee' && type === 'REQ'
          ? ' (uninstrumented callee)'
          : '';
    lines.push(
      `${formatTimestamp(e.time)} ${hostOf(span, type)} [${type}] ${span.from || '-'} → ${span.to}.${span.toEndpoint} -${duration}${skew}${note}`,
    );
    const errorAfter = span.events.OUT !== undefined ? 'OUT' : lastPresent(span);
    if (type === errorAfter && (span.errorCode || span.errorDescription)) {
      const what = [span.errorCode, span.errorDescription].filter(Boolean).join(' ');
      lines.push(` ERR - ${span.to}.${span.toEndpoint}: ${what}`);
    }
    if (type === lastPresent(span) && completeness === 'partial') {
      lines.push(
        ` MISSING - ${span.from || '-'} → ${span.to}.${span.toEndpoint}: ${span.missing.join(', ')} never arrived`,
      );
    }
  }
  return { text: lines.join('\n'), lineCount: lines.length, truncated };
}
