import { TracerError, type TracerErrorCode } from './errors.js';
import { resolveTracerOptions, type TracerOptions } from './options.js';

/**
 * Environment variables the tracer reads, and the option each one sets. Options passed to
 * `createTracer` win over these; these win over the defaults. Lets a deployment point an instrumented
 * service at its collector without a code change, as OTEL_SERVICE_NAME / OTEL_EXPORTER_* do.
 */
export const TRACER_ENV_VARIABLES = {
  PHOSPHOR_SERVICE: 'service',
  PHOSPHOR_COLLECTORS: 'collectors',
  PHOSPHOR_SAMPLE_RATE: 'sampleRate',
  PHOSPHOR_FLUSH_INTERVAL_MILLIS: 'flushIntervalMillis',
  PHOSPHOR_MAX_BUFFERED_EVENTS: 'maxBufferedEvents',
  PHOSPHOR_MAX_DATAGRAM_BYTES: 'maxDatagramBytes',
  PHOSPHOR_HOSTNAME: 'hostname',
  PHOSPHOR_ZONE: 'zone',
  PHOSPHOR_HMAC_KEY: 'hmacKey',
  PHOSPHOR_ENABLED: 'enabled',
} as const satisfies Record<string, keyof TracerOptions>;

export type TracerEnvVariable = keyof typeof TRACER_ENV_VARIABLES;

/** The service name when neither the option nor PHOSPHOR_SERVICE gives one (OpenTelemetry's convention). */
export const UNKNOWN_SERVICE = 'unknown_service:node';

/** Warning code of an ignored environment value (process warnings are reported once per variable and value). */
export const ENV_WARNING_CODE: TracerErrorCode = 'TRC_ERR_ENV_INVALID';

const reported = new Set<string>();

/**
 * Reports a bad environment value once per process (a `process` warning with code TRC_ERR_ENV_INVALID, which
 * Node prints to stderr): the tracer then uses the option's default instead. Never throws.
 */
function reportOnce(key: string, message: string): void {
  if (reported.has(key)) return;
  reported.add(key);
  process.emitWarning(message, { code: ENV_WARNING_CODE });
}

const NUMERIC = new Set<string>(['sampleRate', 'flushIntervalMillis', 'maxBufferedEvents', 'maxDatagramBytes']);

function parseValue(option: string, raw: string): unknown {
  if (option === 'collectors') {
    return raw
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0);
  }
  if (NUMERIC.has(option)) return raw.trim() === '' ? Number.NaN : Number(raw);
  if (option === 'enabled') {
    const value = raw.trim().toLowerCase();
    if (['1', 'true', 'on', 'yes'].includes(value)) return true;
    if (['0', 'false', 'off', 'no'].includes(value)) return false;
    return raw;
  }
  return raw;
}

/**
 * The options from the environment (`env`, default `process.env`), each checked exactly as `createTracer`
 * checks the option. An invalid value is left out and reported once (see {@link reportOnce}); nothing here
 * throws.
 */
export function tracerOptionsFromEnv(env: Record<string, string | undefined> = process.env): Partial<TracerOptions> {
  const options: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(TRACER_ENV_VARIABLES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = parseValue(option, raw);
    try {
      // The same checks as the option itself; `service` stands in when the variable is not the service.
      resolveTracerOptions({ service: 'env-check', [option]: value } as TracerOptions);
      options[option] = value;
    } catch (err) {
      const problem =
        err instanceof TracerError ? err.message.replace(/^.*?: invalid tracer option: /, '') : String(err);
      const shown = option === 'hmacKey' ? '(hidden)' : JSON.stringify(raw);
      reportOnce(
        `${name}=${raw}`,
        `@phosphor/tracer: ignoring ${name}=${shown}: ${problem}; using the default instead`,
      );
    }
  }
  return options as Partial<TracerOptions>;
}

/**
 * Merges options over the environment: every option given wins; a missing service name falls back to
 * PHOSPHOR_SERVICE, then to {@link UNKNOWN_SERVICE} (reported once).
 */
export function withEnvironment(
  options: Partial<TracerOptions> = {},
  env: Record<string, string | undefined> = process.env,
): TracerOptions {
  const fromEnv = tracerOptionsFromEnv(env);
  const given = Object.fromEntries(Object.entries(options ?? {}).filter(([, value]) => value !== undefined));
  const merged = { ...fromEnv, ...given } as Partial<TracerOptions>;
  if (merged.service === undefined) {
    reportOnce(
      'service',
      `@phosphor/tracer: no service name (set the service option or PHOSPHOR_SERVICE); using "${UNKNOWN_SERVICE}"`,
    );
    merged.service = UNKNOWN_SERVICE;
  }
  return merged as TracerOptions;
}
