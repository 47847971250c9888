/**
 * Every error code the dashboard shows, defined once. Codes follow `DSH_ERR_<AREA>_<WHAT>` and are
 * never reused once retired.
 */
export const DashboardErrorCodes = {
  /** The collector answered with a non-2xx status. */
  DSH_ERR_API_HTTP: 'The collector answered with an error status',
  /** The request never got an answer (collector down, network, CORS). */
  DSH_ERR_API_NETWORK: 'The collector could not be reached',
  /** The answer was not JSON or did not have the documented shape. */
  DSH_ERR_API_SHAPE: 'The collector answered with an unexpected shape',
  /** A search form field holds a value that cannot be sent. */
  DSH_ERR_SEARCH_INPUT: 'Invalid search input',
  /** A trace id typed or taken from the URL is not a valid id. */
  DSH_ERR_ROUTE_TRACE_ID: 'Invalid trace id',
  /** The live tail stream failed or sent something unreadable. */
  DSH_ERR_TAIL_STREAM: 'The live tail stream failed',
  /** The Web Worker that loads large traces failed or sent an unreadable message. */
  DSH_ERR_TRACE_WORKER: 'The trace loader failed',
} as const;

export type DashboardErrorCode = keyof typeof DashboardErrorCodes;

/** An error with a stable code and a message naming the field or request that was wrong. */
export class DashboardError extends Error {
  readonly code: DashboardErrorCode;
  /** HTTP status, when the error comes from a response. */
  readonly status: number | undefined;
  /** The message without the code's description (what the constructor was given). */
  readonly detail: string;

  constructor(code: DashboardErrorCode, detail: string, status?: number) {
    super(`${DashboardErrorCodes[code]}: ${detail}`);
    this.name = 'DashboardError';
    this.code = code;
    this.status = status;
    this.detail = detail;
  }
}
