/**
 * Correlation ids: one per request, tying its log lines, metric points and trace events together.
 * With tracing on, the trace id *is* the correlation id (the transports read it with `traceOf(request)`
 * / `traceOf(call)`); otherwise the caller's `X-Correlation-ID` / `correlation_id` metadata is used,
 * else a fresh id.
 */
import type { TraceContext } from '@phosphor/tracer';
import { IdServiceError } from './errors.js';

/** HTTP header carrying the correlation id (both directions). */
export const CORRELATION_HEADER = 'x-correlation-id';
/** gRPC metadata key carrying the correlation id (request metadata in, trailing metadata out). */
export const CORRELATION_METADATA_KEY = 'correlation_id';

/** Decimal ids, 32-hex trace ids, and other printable tokens up to 64 chars (W3C trace ids are 32). */
const VALID_CORRELATION_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * The correlation id of a request: the trace id when the request is traced (`trace`, from
 * `traceOf(...)`), else `supplied()` — the header/metadata value, read only when needed — else a
 * fresh one from `fresh`. Throws IDG_ERR_INPUT_INVALID naming `field` for a malformed supplied value
 * (a traced request's id was already validated by the tracer, which ignores malformed ones).
 */
export function resolveCorrelationId(
  trace: TraceContext | undefined,
  supplied: () => unknown,
  field: string,
  fresh: () => string,
): string {
  if (trace !== undefined) return trace.traceId;
  return validCorrelationId(supplied(), field, fresh);
}

function validCorrelationId(supplied: unknown, field: string, fresh: () => string): string {
  if (supplied === undefined || supplied === '') return fresh();
  if (typeof supplied !== 'string' || !VALID_CORRELATION_ID.test(supplied)) {
    throw new IdServiceError('IDG_ERR_INPUT_INVALID', `${field} must be 1-64 characters of [A-Za-z0-9._:-]`);
  }
  return supplied;
}
