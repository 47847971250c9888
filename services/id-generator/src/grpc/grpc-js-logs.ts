/**
 * grpc-js writes its own log lines to stderr through `console` by default — a failed bind prints
 * "E No address added out of total 1 resolved" before the service's own IDG_ERR_SERVER_BIND error
 * says the same with the setting's name. Routed through the service logger instead, they are
 * Logstash lines like every other line of the process (stdout and the Redis list), at `warn` for
 * grpc-js errors (the service reports what fails for it in its own words) and `debug` below that.
 * grpc-js keeps one logger per process, so this is for the process's entry point to call.
 */
import { format } from 'node:util';
import { setLogger } from '@grpc/grpc-js';
import type { Logger } from 'pino';

/** The `correlation_id` of grpc-js's lines: they belong to no request. */
const GRPC_JS_CORRELATION_ID = 'grpc-js';

export function routeGrpcJsLogs(logger: Logger): void {
  const fields = { correlation_id: GRPC_JS_CORRELATION_ID };
  setLogger({
    error: (...args: unknown[]) => logger.warn(fields, format(...args)),
    info: (...args: unknown[]) => logger.debug(fields, format(...args)),
    debug: (...args: unknown[]) => logger.debug(fields, format(...args)),
  });
}
