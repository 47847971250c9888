/**
 * Tag keys that travel as small integer codes instead of text: the OpenTelemetry semantic-convention
 * attributes the tracer's instrumentation puts on nearly every event. As text their keys were ≈ 45 % of
 * an instrumented event's bytes (`http.request.method`, `http.response.status_code`, …); as a code each
 * is one byte. They go in `Event.standard_tags` (field 17, `map<uint32, string>`); any other key stays
 * text in `Event.tags` (field 15), and a decoder reads both into one tags record.
 *
 * A code, once given, never changes meaning: new keys are appended. Code 0 is not used (it is what an
 * entry without a key decodes to). A decoder skips entries whose code it does not know (a newer
 * tracer's key).
 */
export const STANDARD_TAG_KEYS: readonly (string | undefined)[] = [
  undefined,
  'http.request.method', // 1
  'http.route', // 2
  'http.response.status_code', // 3
  'url.scheme', // 4
  'server.address', // 5
  'server.port', // 6
  'rpc.system', // 7
  'rpc.service', // 8
  'rpc.method', // 9
  'rpc.grpc.status_code', // 10
  'error.type', // 11
];

const CODES = new Map<string, number>();
STANDARD_TAG_KEYS.forEach((key, code) => {
  if (key !== undefined) CODES.set(key, code);
});

/** The wire code of a standard tag key; undefined for any other key (it travels as text). */
export function standardTagCode(key: string): number | undefined {
  return CODES.get(key);
}

/** The key of a standard tag code; undefined for a code this version does not know. */
export function standardTagKey(code: number): string | undefined {
  return code > 0 && code < STANDARD_TAG_KEYS.length ? STANDARD_TAG_KEYS[code] : undefined;
}

/**
 * The standard keys that describe a request (known when it starts): a hop's REQ and IN carry them, its
 * OUT and REP the outcome (status codes, `error.type`). A frame standing for a hop's two events
 * (`EventFlags.carriesStart`) holds both sets; decoders give these keys to the start event and every
 * other key to the end event, so the pair decodes to exactly the two events a tracer would have sent.
 */
const START_TAG_KEYS: ReadonlySet<string> = new Set([
  'http.request.method',
  'http.route',
  'url.scheme',
  'server.address',
  'server.port',
  'rpc.system',
  'rpc.service',
  'rpc.method',
]);

/** True for a key that belongs to a hop's start event (see {@link START_TAG_KEYS}). */
export function isStartTagKey(key: string): boolean {
  return START_TAG_KEYS.has(key);
}
