/**
 * What happens when a request finishes, on either transport: one metric point and (optionally) one
 * log line, both carrying the correlation id.
 */
import type { Logger } from 'pino';
import type { ServiceMetrics } from './metrics/service-metrics.js';

/** Records finished requests. */
export class RequestObserver {
  private readonly logger: Logger;
  private readonly metrics: ServiceMetrics;
  private readonly requestLogs: boolean;

  constructor(logger: Logger, metrics: ServiceMetrics, requestLogs: boolean) {
    this.logger = logger;
    this.metrics = metrics;
    this.requestLogs = requestLogs;
  }

  /**
   * One finished request. `status` is "ok" or the error code; `ids` how many ids it issued.
   * Errors are always logged (warn for client errors, error for server errors).
   */
  finished(
    transport: 'http' | 'grpc',
    endpoint: string,
    correlationId: string,
    durationMillis: number,
    status: string,
    ids: number,
    error?: Error,
  ): void {
    this.metrics.request(transport, endpoint, status, durationMillis, correlationId, ids);
    if (error !== undefined) {
      const level = status === 'IDG_ERR_INPUT_INVALID' ? 'warn' : 'error';
      this.logger[level](
        {
          correlation_id: correlationId,
          transport,
          endpoint,
          status,
          duration_ms: durationMillis,
          error: error.message,
        },
        'request failed',
      );
    } else if (this.requestLogs) {
      this.logger.info(
        { correlation_id: correlationId, transport, endpoint, status, duration_ms: durationMillis, ids },
        'request served',
      );
    }
  }
}
