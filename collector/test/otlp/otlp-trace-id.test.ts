import { describe, expect, it } from 'vitest';
import { canonicalTraceId, traceIdFromOtel, traceIdToOtel } from '../../src/otlp/otlp-trace-id.js';

describe('trace id mapping between Phosphor and OpenTelemetry', () => {
  it.each([
    ['12345', '00000000000000000000000000003039'],
    ['7203683715045220352', '000000000000000063f8a02c0d896000'],
    ['18446744073709551615', '0000000000000000ffffffffffffffff'],
  ])('decimal %s ↔ %s, both ways', (decimal, hex) => {
    expect(traceIdToOtel(decimal)).toBe(hex);
    expect(traceIdFromOtel(hex)).toBe(decimal);
    expect(traceIdFromOtel(hex.toUpperCase())).toBe(decimal);
  });

  it('keeps 128-bit ids with a non-zero upper half as lowercase hex', () => {
    const id = '5b8efff798038103d269b633813fc60c';
    expect(traceIdFromOtel(id.toUpperCase())).toBe(id);
    expect(traceIdToOtel(id)).toBe(id);
  });

  it('agrees with the tracer’s traceparent for the ids the tracer sends', async () => {
    const { formatTraceparent } = await import('@phosphor/tracer');
    const header = formatTraceparent('7203683715045220352', '00f067aa0ba902b7', true) as string;
    expect(header.split('-')[1]).toBe(traceIdToOtel('7203683715045220352'));
  });

  it.each([
    ['12345', '12345'],
    ['00000000000000000000000000003039', '12345'],
    ['0000000000003039', '0000000000003039'],
    ['00000000000030ab', '12459'],
    ['5b8efff7-9803-8103-d269-b633813fc60c', '5b8efff798038103d269b633813fc60c'],
    ['  12345 ', '12345'],
    ['free-form_id', 'free-form_id'],
  ])('canonicalTraceId(%j) = %j', (input, expected) => {
    expect(canonicalTraceId(input)).toBe(expected);
  });

  it('has no OTel form for free-form or zero ids', () => {
    expect(traceIdToOtel('free-form')).toBeUndefined();
    expect(traceIdToOtel('00000000000000000000000000000000')).toBeUndefined();
    expect(traceIdToOtel('18446744073709551616')).toBeUndefined();
  });
});
