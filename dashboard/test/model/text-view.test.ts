import { describe, expect, it } from 'vitest';
import { traceToText } from '../../src/model/text-view.js';
import { span } from '../support/spans.js';

// 2014-09-07 02:20:19.867 UTC, the first line of slide 9.
const T0 = Date.UTC(2014, 8, 7, 2, 20, 19, 867) * 1000;

describe('traceToText (Phosphor slide 9)', () => {
  const root = span('r', undefined, T0, 82_710, {
    from: 'com.hailocab.hailo-2-api',
    to: 'com.hailocab.api.v1.customer',
    toEndpoint: 'neardrivers',
    clientZone: 'eu-west-1a',
    clientHost: 'ip-10-11-3-51',
    serverZone: 'eu-west-1a',
    serverHost: 'ip-10-11-2-203',
    clientDurationMicros: 82_710,
    serverDurationMicros: 80_460,
  });
  const failing = span('f', 'r', T0 + 38_000, 1_970, {
    from: 'com.hailocab.api.v1.customer',
    to: 'com.hailocab.service.fare',
    toEndpoint: 'basefare',
    serverZone: 'eu-west-1a',
    serverHost: 'ip-10-11-2-214',
    errorDescription: 'Missing config at xxx',
    serverDurationMicros: 100,
  });

  it('prints one line per event in time order, with durations on OUT and REP, and ERR lines', () => {
    const { text } = traceToText('33eda743', [root, failing], 'adjusted');
    const lines = text.split('\n');
    expect(lines[0]).toBe('Tracing: 33eda743');
    expect(lines[2]).toBe('2014-09-07 02:20:19.867 [/] [START] → -');
    expect(lines[3]).toBe(
      '2014-09-07 02:20:19.867 [eu-west-1a/ip-10-11-3-51] [REQ] com.hailocab.hailo-2-api → com.hailocab.api.v1.customer.neardrivers -',
    );
    expect(text).toContain(
      '[OUT] com.hailocab.api.v1.customer → com.hailocab.service.fare.basefare - 0.10 ms\n ERR - com.hailocab.service.fare.basefare: Missing config at xxx',
    );
    expect(lines.at(-1)).toBe(
      '2014-09-07 02:20:19.949 [eu-west-1a/ip-10-11-3-51] [REP] com.hailocab.hailo-2-api → com.hailocab.api.v1.customer.neardrivers - 82.71 ms',
    );
    // 2 spans × 4 events + header, blank, START, ERR.
    expect(lines).toHaveLength(12);
  });

  it('says which events of a partial span never arrived', () => {
    // The callee answered (IN/OUT) but the caller's REQ/REP were lost, although it is instrumented.
    const parent = span('r', undefined, T0, 2000);
    const partial = span('p', 'r', T0 + 10, 1000, {
      missing: ['OUT', 'REP'],
      events: { REQ: T0 + 10, IN: T0 + 20 },
    });
    partial.rawEvents = partial.events;
    const { text } = traceToText('t', [parent, partial], 'adjusted');
    expect(text).toContain(' MISSING - caller → svc-p.op: OUT, REP never arrived');
  });

  it('shows an entry span (root with IN/OUT only) as entry, not MISSING', () => {
    // Regression: a curl hitting the gateway printed "MISSING - → gateway.GET /quote/:symbol: REQ, REP never arrived".
    const entry = span('e', undefined, T0, 5000, {
      from: '',
      fromEndpoint: '',
      to: 'gateway',
      toEndpoint: 'GET /quote/:symbol',
      missing: ['REQ', 'REP'],
      events: { IN: T0, OUT: T0 + 5000 },
    });
    entry.rawEvents = entry.events;
    const { text } = traceToText('t', [entry, span('c', 'e', T0 + 100, 1000, { from: 'gateway' })], 'adjusted');
    expect(text).not.toContain('MISSING');
    expect(text).toContain('[IN] - → gateway.GET /quote/:symbol - (entry)');
  });

  it('shows a leaf call with REQ/REP only as an uninstrumented callee, not MISSING', () => {
    const parent = span('r', undefined, T0, 2000, { to: 'quotes' });
    const redis = span('x', 'r', T0 + 10, 300, {
      from: 'quotes',
      to: 'redis',
      toEndpoint: 'GET',
      missing: ['IN', 'OUT'],
      events: { REQ: T0 + 10, REP: T0 + 310 },
    });
    redis.rawEvents = redis.events;
    const { text } = traceToText('t', [parent, redis], 'adjusted');
    expect(text).not.toContain('MISSING');
    expect(text).toContain('[REQ] quotes → redis.GET - (uninstrumented callee)');
  });

  it('uses raw times in raw mode and notes skew corrections in adjusted mode', () => {
    const skewed = span('s', undefined, T0, 10_000, {
      skewCorrected: true,
      skewMicros: 3_000,
      events: { REQ: T0, IN: T0 + 1_000, OUT: T0 + 9_000, REP: T0 + 10_000 },
      rawEvents: { REQ: T0, IN: T0 - 2_000, OUT: T0 + 6_000, REP: T0 + 10_000 },
    });
    expect(traceToText('t', [skewed], 'adjusted').text).toContain('(skew-corrected +3.00 ms)');
    const raw = traceToText('t', [skewed], 'raw').text;
    expect(raw).not.toContain('skew-corrected');
    expect(raw.split('\n')[3]).toContain('02:20:19.865'); // raw IN comes first, 2 ms before REQ
  });

  it('stops at maxLines and says so', () => {
    const spans = Array.from({ length: 50 }, (_, i) => span(`s${i}`, undefined, T0 + i, 10));
    const out = traceToText('t', spans, 'adjusted', 20);
    expect(out.truncated).toBe(true);
    expect(out.text.split('\n')).toHaveLength(20);
  });
});
