/**
 * Every error code the collector can produce, defined once. Codes follow
 * `COL_ERR_<AREA>_<WHAT>`; a retired code is never reused. collector/README.md lists them all
 * (a test fails when one is missing there).
 */
import { ServiceError } from '@phosphor/service-kit';

export const ERROR_CODES = {
  COL_ERR_CONFIG_READ: { status: 500, message: 'cannot read the config file' },
  COL_ERR_CONFIG_PARSE: { status: 500, message: 'the config file is not valid YAML' },
  COL_ERR_CONFIG_UNKNOWN_KEY: { status: 500, message: 'unknown config key' },
  COL_ERR_CONFIG_INVALID: { status: 500, message: 'invalid config value' },
  COL_ERR_CONFIG_ENV: { status: 500, message: 'invalid environment variable' },
  COL_ERR_CLI_ARGS: { status: 500, message: 'invalid command-line arguments' },
  COL_ERR_STORAGE_UNKNOWN_TYPE: { status: 500, message: 'unknown storage type' },
  COL_ERR_STORAGE_UNAVAILABLE: { status: 503, message: 'storage backend failed' },
  COL_ERR_UDP_BIND: { status: 500, message: 'cannot bind the UDP socket' },
  COL_ERR_OTLP_BIND: { status: 500, message: 'cannot bind an OTLP listener' },
  COL_ERR_HTTP_BIND: { status: 500, message: 'cannot bind the API and dashboard port' },
  COL_ERR_API_BAD_PARAM: { status: 400, message: 'invalid request parameter' },
  COL_ERR_API_UNAUTHORIZED: { status: 401, message: 'missing or wrong bearer token' },
  COL_ERR_API_TRACE_NOT_FOUND: { status: 404, message: 'no trace with this id' },
  COL_ERR_API_UNKNOWN_COMPONENT: { status: 404, message: 'no health component with this name' },
  COL_ERR_API_ROUTE_NOT_FOUND: { status: 404, message: 'no such route' },
  COL_ERR_API_BODY_TOO_LARGE: { status: 413, message: 'request body larger than http.bodyLimitBytes' },
  COL_ERR_API_QUERY_TOO_LONG: { status: 414, message: 'query string longer than http.maxQueryStringBytes' },
  COL_ERR_API_TAIL_FULL: { status: 503, message: 'too many live tail clients' },
  COL_ERR_API_INTERNAL: { status: 500, message: 'internal error' },
  COL_ERR_ES_BULK_REJECTED: { status: 500, message: 'Elasticsearch permanently rejected spans (not retried)' },
  COL_ERR_ES_SPOOL_IO: { status: 500, message: 'cannot read or write the Elasticsearch disk spool' },
  COL_ERR_ES_SPOOL_FULL: { status: 503, message: 'Elasticsearch disk spool full: spans dropped' },
  COL_ERR_ES_TLS: { status: 503, message: "cannot verify the Elasticsearch node's TLS certificate" },
  COL_ERR_ES_AUTH: { status: 503, message: 'Elasticsearch refused the configured credentials' },
  COL_ERR_ES_PRIVILEGES: { status: 503, message: 'the Elasticsearch credentials lack a needed privilege' },
  COL_ERR_ES_RETENTION: { status: 500, message: 'Elasticsearch retention could not delete old indices' },
  COL_ERR_INFLUX_WRITE: { status: 503, message: 'InfluxDB write failed' },
  COL_ERR_INFLUX_BUFFER_FULL: { status: 503, message: 'InfluxDB point buffer full: points dropped' },
} as const;

/** One of the collector's error codes. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * An error carrying a collector code and, for HTTP, its status. `detail` names the offending
 * key, field or parameter; the message is `<code>: <detail>` so logs are self-explanatory.
 */
export class CollectorError extends ServiceError<ErrorCode> {
  constructor(code: ErrorCode, detail: string, field?: string, options?: { cause?: unknown }) {
    super(code, ERROR_CODES[code].status, detail, {
      ...(field === undefined ? {} : { field }),
      ...(options?.cause === undefined ? {} : { cause: options.cause }),
    });
  }

  /** The HTTP status of the code (the same as `httpStatus`). */
  get statusCode(): number {
    return this.httpStatus;
  }
}
