/**
 * Every error code the tracer library can produce, defined once. Codes follow
 * `TRC_ERR_<AREA>_<WHAT>`; a retired code is never reused. The README lists each code and a test
 * fails when one is missing there.
 *
 * Only construction-time problems (bad options, bad id-source configuration) are thrown. Runtime
 * problems (send failures, invalid events) are counted in `tracer.stats()` and described with a
 * code in `stats().lastProblem`, never thrown into the service.
 */
export const TracerErrorCodes = {
  /** An option passed to `createTracer` is missing or out of range. */
  TRC_ERR_OPTIONS_INVALID: 'invalid tracer option',
  /** A PHOSPHOR_* environment variable has a bad value; it was ignored (one process warning), the default used. */
  TRC_ERR_ENV_INVALID: 'invalid environment value ignored',
  /** An option passed to `new PooledIdSource` is missing or out of range. */
  TRC_ERR_IDS_OPTIONS_INVALID: 'invalid id source option',
  /** A pooled id source's `fetchBatch` failed or returned something that is not a list of ids. */
  TRC_ERR_IDS_FETCH_FAILED: 'id batch fetch failed',
  /** An event given to `tracer.emit()` failed validation; it was dropped and counted. */
  TRC_ERR_EVENT_INVALID: 'invalid event dropped',
  /** An event is larger than `maxDatagramBytes` allows; it was dropped and counted. */
  TRC_ERR_EVENT_TOO_LARGE: 'event larger than a datagram dropped',
  /** A collector address could not be resolved; datagrams were dropped and counted. */
  TRC_ERR_TRANSPORT_DNS: 'collector address lookup failed',
  /** The UDP socket refused or failed a send (EMSGSIZE, ENETUNREACH, …); counted. */
  TRC_ERR_TRANSPORT_SEND: 'datagram send failed',
  /** Too many datagrams were waiting for the socket; the newest was dropped and counted. */
  TRC_ERR_TRANSPORT_BACKLOG: 'send backlog full',
} as const;

/** One of the tracer library's error codes. */
export type TracerErrorCode = keyof typeof TracerErrorCodes;

/** An error thrown at construction time, carrying a stable code and the offending field. */
export class TracerError extends Error {
  readonly code: TracerErrorCode;

  constructor(code: TracerErrorCode, detail: string) {
    super(`${code}: ${TracerErrorCodes[code]}: ${detail}`);
    this.name = 'TracerError';
    this.code = code;
  }
}

/** A runtime problem as reported in `stats().lastProblem`: what, when, and in which words. */
export interface TracerProblem {
  code: TracerErrorCode;
  message: string;
  atMillis: number;
}
