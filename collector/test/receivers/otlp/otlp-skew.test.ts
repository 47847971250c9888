import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from '../../../src/app.js';
import type { Span } from '../../../src/model/span.js';
import { testCollector } from '../../support/collector.js';

const TRACE = '0000000000000000000000000000d431';
const CLIENT_ID = '1111111111111111';
const T0_MICROS = BigInt(Date.now()) * 1000n;
/** The callee's clock runs 5 s ahead of the caller's. */
const SKEW_MICROS = 5_000_000n;

const nanos = (micros: bigint) => String(micros * 1000n);
function resourceSpans(service: string, host: string, span: Record<string, unknown>) {
  return {
    resource: {
      attributes: [
        { key: 'service.name', value: { stringValue: service } },
        { key: 'host.name', value: { stringValue: host } },
      ],
    },
    scopeSpans: [{ spans: [span] }],
  };
}

let collector: Collector | undefined;
afterEach(async () => {
  await collector?.close();
});

describe('clock skew between OTel services', () => {
  it('shifts the callee side of a hop into the caller window, as for Phosphor hops', async () => {
    collector = await testCollector({ assembly: { spanTimeoutMillis: 200 } });
    const { otlpHttpPort } = await collector.start();
    const body = {
      resourceSpans: [
        resourceSpans('caller', 'host-a', {
          traceId: TRACE,
          spanId: CLIENT_ID,
          name: 'GET',
          kind: 3,
          startTimeUnixNano: nanos(T0_MICROS),
          endTimeUnixNano: nanos(T0_MICROS + 1000n),
        }),
        resourceSpans('callee', 'host-b', {
          traceId: TRACE,
          spanId: '2222222222222222',
          parentSpanId: CLIENT_ID,
          name: 'GET /x',
          kind: 2,
          startTimeUnixNano: nanos(T0_MICROS + SKEW_MICROS + 100n),
          endTimeUnixNano: nanos(T0_MICROS + SKEW_MICROS + 900n),
        }),
      ],
    };
    const res = await fetch(`http://127.0.0.1:${otlpHttpPort}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    // The trace id's upper half is zero: the trace is 54321 in Phosphor's decimal form.
    let spans: Span[] = [];
    for (let i = 0; i < 100 && spans.length === 0; i++) {
      spans = (await collector.store.getTrace('54321')) ?? [];
      if (spans.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    const hop = spans[0] as Span;
    expect(hop).toMatchObject({ spanId: CLIENT_ID, from: 'caller', to: 'callee', missing: [], skewCorrected: true });
    const { REQ, IN, OUT, REP } = hop.events as Required<Span['events']>;
    expect(REQ).toBeLessThanOrEqual(IN);
    expect(IN).toBeLessThanOrEqual(OUT);
    expect(OUT).toBeLessThanOrEqual(REP);
    expect(hop.rawEvents.IN).toBe(Number(T0_MICROS + SKEW_MICROS + 100n));
  });
});
