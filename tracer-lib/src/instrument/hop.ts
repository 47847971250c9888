import { EventFlags, MAX_NAME_LENGTH, MAX_TEXT_LENGTH } from '@phosphor/wire';
import { nowMicros } from '../clock.js';
import { currentTrace, type TraceContext } from '../context.js';
import { newSpanId } from '../ids.js';
import type { IncomingTrace, OutgoingTrace } from '../propagation/carrier.js';
import type { Tracer } from '../tracer.js';

/**
 * The two halves of a hop, shared by the fastify, fetch and gRPC instrumentation: a server records
 * IN then OUT, a client REQ then REP, all four with the same span id.
 */

/** An error to put on OUT/REP. */
export interface HopError {
  code: string;
  description?: string | undefined;
}

/** A hop being served. */
export interface ServerHop {
  readonly context: TraceContext;
  readonly parentSpanId: string | undefined;
  readonly endpoint: string;
  readonly startMicros: number;
}

/** A call in progress. */
export interface ClientHop {
  readonly outgoing: OutgoingTrace;
  readonly to: string;
  readonly toEndpoint: string;
  readonly fromEndpoint: string;
  readonly startMicros: number;
}

/** Event flags for a context: the sampled and persistent bits. */
export function flagsOf(context: TraceContext): number {
  return (context.sampled ? EventFlags.sampled : 0) | (context.persistent ? EventFlags.persistent : 0);
}

/** Clips a name to the wire limit (an over-long route or method must not cost the whole event). */
export function clipName(name: string): string {
  return name.length > MAX_NAME_LENGTH ? name.slice(0, MAX_NAME_LENGTH) : name;
}

/** Records IN for a request that arrived with `incoming` (or none: a new trace starts here). */
export function beginServerHop(tracer: Tracer, incoming: IncomingTrace | undefined, endpoint: string): ServerHop {
  const name = clipName(endpoint);
  let context: TraceContext;
  if (incoming?.hopSpanId !== undefined) {
    context = {
      traceId: incoming.traceId,
      spanId: incoming.hopSpanId,
      sampled: incoming.sampled ?? true,
      persistent: incoming.persistent,
      endpoint: name,
    };
  } else {
    context = tracer.startTrace(incoming?.traceId);
    if (incoming !== undefined) context.persistent = incoming.persistent;
    context.endpoint = name;
  }
  const startMicros = nowMicros();
  const hop: ServerHop = { context, parentSpanId: incoming?.parentSpanId, endpoint: name, startMicros };
  tracer.emit({
    type: 'IN',
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: hop.parentSpanId,
    from: '',
    fromEndpoint: '',
    to: tracer.service,
    toEndpoint: name,
    timestampMicros: startMicros,
    hostname: tracer.hostname,
    zone: tracer.zone,
    flags: flagsOf(context),
  });
  return hop;
}

/** Records OUT (handler duration, error if any) just before the reply leaves. */
export function endServerHop(tracer: Tracer, hop: ServerHop, error?: HopError): void {
  const at = nowMicros();
  tracer.emit({
    type: 'OUT',
    traceId: hop.context.traceId,
    spanId: hop.context.spanId,
    parentSpanId: hop.parentSpanId,
    from: '',
    fromEndpoint: '',
    to: tracer.service,
    toEndpoint: hop.endpoint,
    timestampMicros: at,
    hostname: tracer.hostname,
    zone: tracer.zone,
    durationMicros: Math.max(0, at - hop.startMicros),
    errorCode: error ? clipName(error.code) : undefined,
    errorDescription: error?.description?.slice(0, MAX_TEXT_LENGTH),
    flags: flagsOf(hop.context),
  });
}

/**
 * Records REQ for a call to `to`/`toEndpoint`, as a child of the current trace (or the root of a
 * new one). Returns what to propagate and what `endClientHop` needs.
 */
export function beginClientHop(tracer: Tracer, to: string, toEndpoint: string): ClientHop {
  const parent = currentTrace();
  const context = parent
    ? { traceId: parent.traceId, spanId: newSpanId(), sampled: parent.sampled, persistent: parent.persistent }
    : tracer.startTrace();
  const outgoing: OutgoingTrace = {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: parent?.spanId,
    sampled: context.sampled,
    persistent: context.persistent,
  };
  const hop: ClientHop = {
    outgoing,
    to: clipName(to),
    toEndpoint: clipName(toEndpoint),
    fromEndpoint: parent?.endpoint ?? '',
    startMicros: nowMicros(),
  };
  tracer.emit({
    type: 'REQ',
    traceId: outgoing.traceId,
    spanId: outgoing.spanId,
    parentSpanId: outgoing.parentSpanId,
    from: tracer.service,
    fromEndpoint: hop.fromEndpoint,
    to: hop.to,
    toEndpoint: hop.toEndpoint,
    timestampMicros: hop.startMicros,
    hostname: tracer.hostname,
    zone: tracer.zone,
    flags: flagsOf(context),
  });
  return hop;
}

/** Records REP (round-trip duration, error if any) when the reply or the failure arrives. */
export function endClientHop(tracer: Tracer, hop: ClientHop, error?: HopError): void {
  const at = nowMicros();
  const { outgoing } = hop;
  tracer.emit({
    type: 'REP',
    traceId: outgoing.traceId,
    spanId: outgoing.spanId,
    parentSpanId: outgoing.parentSpanId,
    from: tracer.service,
    fromEndpoint: hop.fromEndpoint,
    to: hop.to,
    toEndpoint: hop.toEndpoint,
    timestampMicros: at,
    hostname: tracer.hostname,
    zone: tracer.zone,
    durationMicros: Math.max(0, at - hop.startMicros),
    errorCode: error ? clipName(error.code) : undefined,
    errorDescription: error?.description?.slice(0, MAX_TEXT_LENGTH),
    flags: (outgoing.sampled ? EventFlags.sampled : 0) | (outgoing.persistent ? EventFlags.persistent : 0),
  });
}

/**
 * An error code for a thrown value: its `code` if it has a string one, else its cause's (fetch
 * wraps ECONNREFUSED & co. in a TypeError's `cause`), else its name.
 */
export function errorFromThrown(err: unknown): HopError {
  if (err instanceof Error) {
    const code = stringCode(err) ?? stringCode(err.cause) ?? err.name;
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return { code, description: `${err.message}${cause}` };
  }
  return { code: 'Error', description: String(err) };
}

function stringCode(value: unknown): string | undefined {
  const code = typeof value === 'object' && value !== null ? (value as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.length > 0 ? code : undefined;
}
