import { EVENT_TYPES, EventFlags, hasStartTime, type TraceEvent } from './event.js';
import { MAX_ID_LENGTH, MAX_NAME_LENGTH, MAX_TAGS, MAX_TEXT_LENGTH } from './limits.js';

/**
 * Checks one event against the wire limits. Returns a message naming the bad field, or
 * undefined when the event is acceptable. Used by the collector on every received event and
 * by `tracer.emit()` on caller-supplied events.
 */
export function validateEvent(event: TraceEvent): string | undefined {
  if (!EVENT_TYPES.includes(event.type)) return `type: must be one of REQ, IN, OUT, REP (got ${String(event.type)})`;
  const idProblem =
    checkString('traceId', event.traceId, MAX_ID_LENGTH, true) ??
    checkString('spanId', event.spanId, MAX_ID_LENGTH, true) ??
    checkString('parentSpanId', event.parentSpanId, MAX_ID_LENGTH, false);
  if (idProblem) return idProblem;
  const nameProblem =
    checkString('from', event.from, MAX_NAME_LENGTH, false) ??
    checkString('fromEndpoint', event.fromEndpoint, MAX_NAME_LENGTH, false) ??
    checkString('to', event.to, MAX_NAME_LENGTH, false) ??
    checkString('toEndpoint', event.toEndpoint, MAX_NAME_LENGTH, false) ??
    checkString('hostname', event.hostname, MAX_NAME_LENGTH, false) ??
    checkString('zone', event.zone, MAX_NAME_LENGTH, false) ??
    checkString('errorCode', event.errorCode, MAX_NAME_LENGTH, false) ??
    checkString('errorDescription', event.errorDescription, MAX_TEXT_LENGTH, false);
  if (nameProblem) return nameProblem;
  if (!Number.isFinite(event.timestampMicros) || event.timestampMicros <= 0) {
    return `timestampMicros: must be a positive finite number (got ${String(event.timestampMicros)})`;
  }
  if (event.durationMicros !== undefined && (!Number.isFinite(event.durationMicros) || event.durationMicros < 0)) {
    return `durationMicros: must be a non-negative finite number (got ${String(event.durationMicros)})`;
  }
  if (event.flags !== undefined && (event.flags & EventFlags.carriesStart) !== 0) {
    const problem = carriesStartProblem(event);
    if (problem) return problem;
  }
  if (event.tags) {
    const keys = Object.keys(event.tags);
    if (keys.length > MAX_TAGS) return `tags: at most ${MAX_TAGS} tags (got ${keys.length})`;
    for (const key of keys) {
      if (key.length === 0 || key.length > MAX_NAME_LENGTH) return `tags: key length must be 1..${MAX_NAME_LENGTH}`;
      const value = event.tags[key];
      if (typeof value !== 'string' || value.length > MAX_TEXT_LENGTH) {
        return `tags.${key}: must be a string of at most ${MAX_TEXT_LENGTH} chars`;
      }
    }
  }
  return undefined;
}

/** What makes a {@link EventFlags.carriesStart} event unusable: its start must be an event of its own. */
function carriesStartProblem(event: TraceEvent): string | undefined {
  if (event.type !== 'OUT' && event.type !== 'REP') {
    return `flags: bit 2 (carries start) is only valid on OUT or REP (got ${event.type})`;
  }
  if (event.durationMicros === undefined) return 'durationMicros: required with flags bit 2 (carries start)';
  if (!hasStartTime(event.timestampMicros, event.durationMicros)) {
    return 'durationMicros: with flags bit 2 (carries start), must be less than timestampMicros';
  }
  return undefined;
}

/** Checks a datagram's batch header fields against the wire limits; a message naming the bad field, or undefined. */
export function validateBatchHeader(
  tracerId: string,
  service: string,
  hostname: string,
  sentAtMicros: number,
): string | undefined {
  return (
    checkString('tracerId', tracerId, MAX_ID_LENGTH, false) ??
    checkString('service', service, MAX_NAME_LENGTH, false) ??
    checkString('hostname', hostname, MAX_NAME_LENGTH, false) ??
    (Number.isFinite(sentAtMicros) ? undefined : 'sentAtMicros: must be finite')
  );
}

function checkString(field: string, value: unknown, maxLength: number, required: boolean): string | undefined {
  if (value === undefined || value === null || value === '') return required ? `${field}: is required` : undefined;
  if (typeof value !== 'string') return `${field}: must be a string`;
  if (value.length > maxLength) return `${field}: longer than ${maxLength} chars`;
  return undefined;
}
