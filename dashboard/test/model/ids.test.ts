import { describe, expect, it } from 'vitest';
import { canonicalTraceId, otelTraceId } from '../../src/model/ids.js';

// The rule of docs/otel.md, as collector/test/otlp/otlp-trace-id.test.ts pins it for the collector.
describe('trace id forms', () => {
  it.each([
    ['12345', '12345'],
    ['00000000000000000000000000003039', '12345'],
    ['0000000000000000000000000000303A', '12346'],
    ['0000000000003039', '0000000000003039'],
    ['000000000000303a', '12346'],
    ['00000000-0000-0000-0000-000000003039', '12345'],
    ['4BF92F3577B34DA6A3CE929D0E0E4736', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['00000000000000000000000000000000', '00000000000000000000000000000000'],
    ['order-42', 'order-42'],
  ])('%s opens the trace stored as %s', (typed, canonical) => {
    expect(canonicalTraceId(typed)).toBe(canonical);
  });

  it.each([
    ['12345', '00000000000000000000000000003039'],
    ['18446744073709551615', '0000000000000000ffffffffffffffff'],
    ['4bf92f3577b34da6a3ce929d0e0e4736', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['18446744073709551616', undefined],
    ['00000000000000000000000000000000', undefined],
    ['order-42', undefined],
  ])('%s has the OpenTelemetry id %s', (canonical, otel) => {
    expect(otelTraceId(canonical)).toBe(otel);
  });
});
