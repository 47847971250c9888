import { afterEach, describe, expect, it, vi } from 'vitest';
import { TRACER_ENV_VARIABLES, tracerOptionsFromEnv, UNKNOWN_SERVICE } from '../src/env-options.js';
import { createTracer } from '../src/index.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('tracer configuration from the environment', () => {
  it('reads every PHOSPHOR_* variable into its option', () => {
    expect(
      tracerOptionsFromEnv({
        PHOSPHOR_SERVICE: 'billing',
        PHOSPHOR_COLLECTORS: '10.0.0.5:7760, [::1]:7761',
        PHOSPHOR_SAMPLE_RATE: '0.25',
        PHOSPHOR_FLUSH_INTERVAL_MILLIS: '250',
        PHOSPHOR_MAX_BUFFERED_EVENTS: '1024',
        PHOSPHOR_MAX_DATAGRAM_BYTES: '1200',
        PHOSPHOR_HOSTNAME: 'node-7',
        PHOSPHOR_ZONE: 'eu-west-1a',
        PHOSPHOR_HMAC_KEY: 'a-shared-key-of-some-length',
        PHOSPHOR_ENABLED: 'false',
      }),
    ).toEqual({
      service: 'billing',
      collectors: ['10.0.0.5:7760', '[::1]:7761'],
      sampleRate: 0.25,
      flushIntervalMillis: 250,
      maxBufferedEvents: 1024,
      maxDatagramBytes: 1200,
      hostname: 'node-7',
      zone: 'eu-west-1a',
      hmacKey: 'a-shared-key-of-some-length',
      enabled: false,
    });
    expect(Object.keys(TRACER_ENV_VARIABLES)).toHaveLength(10);
  });

  it('lets options win over the environment', async () => {
    vi.stubEnv('PHOSPHOR_SERVICE', 'from-env');
    vi.stubEnv('PHOSPHOR_SAMPLE_RATE', '0');
    const fromEnv = createTracer({ collectors: ['127.0.0.1:9'] });
    const fromOptions = createTracer({ service: 'from-options', collectors: ['127.0.0.1:9'] });
    expect(fromEnv.service).toBe('from-env');
    expect(fromOptions.service).toBe('from-options');
    await Promise.all([fromEnv.close(), fromOptions.close()]);
  });

  it('ignores an invalid value with one warning naming the variable, never throwing', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    vi.stubEnv('PHOSPHOR_SERVICE', 'svc');
    vi.stubEnv('PHOSPHOR_SAMPLE_RATE', 'lots');
    vi.stubEnv('PHOSPHOR_COLLECTORS', 'no-port-here');
    const first = createTracer();
    const second = createTracer();
    expect(first.service).toBe('svc');
    const messages = warn.mock.calls.map((call) => String(call[0]));
    expect(messages.filter((m) => m.includes('PHOSPHOR_SAMPLE_RATE="lots"'))).toHaveLength(1);
    expect(messages.filter((m) => m.includes('PHOSPHOR_COLLECTORS="no-port-here"'))).toHaveLength(1);
    expect(messages.find((m) => m.includes('PHOSPHOR_SAMPLE_RATE'))).toMatch(/sampleRate: must be a number/);
    expect(warn.mock.calls[0]?.[1]).toMatchObject({ code: 'TRC_ERR_ENV_INVALID' });
    await Promise.all([first.close(), second.close()]);
  });

  it('reports a value that is not a boolean for PHOSPHOR_ENABLED and keeps tracing on', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    expect(tracerOptionsFromEnv({ PHOSPHOR_ENABLED: 'maybe' })).toEqual({});
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/PHOSPHOR_ENABLED="maybe": enabled: must be a boolean/);
  });

  it('falls back to unknown_service:node without a service name', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    vi.stubEnv('PHOSPHOR_SERVICE', '');
    const tracer = createTracer({ collectors: ['127.0.0.1:9'] });
    expect(tracer.service).toBe(UNKNOWN_SERVICE);
    await tracer.close();
  });
});
