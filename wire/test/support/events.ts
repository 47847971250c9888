import type { EventTemplateFields, TraceEvent } from '../../src/index.js';

let counter = 0;

/** A valid, fully specified event; `overrides` replace fields. Trace ids differ per call. */
export function makeEvent(overrides: Partial<TraceEvent> = {}): TraceEvent {
  counter++;
  return {
    type: 'REQ',
    traceId: String(397237206544449536n + BigInt(counter)),
    spanId: counter.toString(16).padStart(16, '0'),
    parentSpanId: '1111111111111111',
    from: 'gateway',
    fromEndpoint: 'GET /quote',
    to: 'quote',
    toEndpoint: 'Quote',
    timestampMicros: 1_763_700_000_000_000 + counter,
    hostname: 'host-a',
    flags: 1,
    ...overrides,
  };
}

export /** The repeating fields of `event`, as a template holds them. */
function fieldsOf(event: TraceEvent): EventTemplateFields {
  return {
    type: event.type,
    from: event.from,
    fromEndpoint: event.fromEndpoint,
    to: event.to,
    toEndpoint: event.toEndpoint,
    hostname: event.hostname,
    zone: event.zone,
    tags: event.tags,
    flags: event.flags,
  };
}

/** The tags a server's IN and OUT carry (what the instrumentation records by default), plus a custom one. */
export const serverTags = Object.freeze({
  'http.request.method': 'POST',
  'http.route': '/nextid',
  'url.scheme': 'http',
  'server.address': '127.0.0.1',
  'server.port': '8888',
  tenant: 'acme',
});
