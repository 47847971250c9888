/**
 * The service logger: pino writing Logstash-shaped JSON lines (`@timestamp`, `@version`, `message`,
 * `level`, and the fields at the top level) to stdout and, optionally, to the Redis list sink. The same
 * line goes to both, so it is serialized once.
 */
import { destination, type Logger, multistream, pino, type StreamEntry } from 'pino';
import type { RedisLogSink } from './redis-log-sink.js';

/** Options of {@link createServiceLogger}. */
export interface ServiceLoggerOptions {
  service: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  /** Write lines to stdout (asynchronously, via sonic-boom). */
  stdout: boolean;
  redisSink?: RedisLogSink;
  /** Extra destination (tests). */
  extraStream?: { write(line: string): unknown };
}

/**
 * Builds the pino logger. Fields given to `logger.info({ correlation_id }, 'msg')` land at the top level
 * of the Logstash event.
 */
export function createServiceLogger(options: ServiceLoggerOptions): Logger {
  const streams: StreamEntry[] = [];
  if (options.stdout) streams.push({ level: options.level, stream: destination({ dest: 1, sync: false }) });
  if (options.redisSink) streams.push({ level: options.level, stream: options.redisSink });
  if (options.extraStream) streams.push({ level: options.level, stream: options.extraStream });
  return pino(
    {
      level: options.level,
      messageKey: 'message',
      base: { '@version': '1', service: options.service },
      timestamp: () => `,"@timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    streams.length === 0 ? { write: () => true } : multistream(streams),
  );
}
