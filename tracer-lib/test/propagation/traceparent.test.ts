import { describe, expect, it } from 'vitest';
import {
  extractTrace,
  formatTraceparent,
  HttpHeaders,
  injectTrace,
  parseTraceparent,
  traceIdFromW3c,
  traceIdToW3c,
} from '../../src/propagation/index.js';

describe('traceparent', () => {
  it('parses the W3C example header', () => {
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: 1,
    });
  });

  it('accepts a future version with extra fields, using the known ones', () => {
    expect(parseTraceparent('cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-what-the-future-holds')).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: 9,
    });
  });

  it.each([
    ['uppercase hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01'],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['version 00 with trailing data', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra'],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['non-hex flags', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x'],
    ['wrong separators', '00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01'],
    ['empty', ''],
  ])('rejects %s', (_case, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it.each([
    ['1', '00000000000000000000000000000001'],
    ['397237206544449536', '0000000000000000058345227ba68000'],
    ['18446744073709551615', '0000000000000000ffffffffffffffff'],
  ])('maps decimal id %s to W3C %s and back', (decimal, w3c) => {
    expect(traceIdToW3c(decimal)).toBe(w3c);
    expect(traceIdFromW3c(w3c)).toBe(decimal);
  });

  it('keeps full 128-bit ids as hex and maps UUIDs to their hex digits', () => {
    expect(traceIdFromW3c('4bf92f3577b34da6a3ce929d0e0e4736')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdToW3c('4BF92F35-77B3-4DA6-A3CE-929D0E0E4736')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdToW3c('not an id')).toBeUndefined();
  });

  it('produces headers that parse back to the same trace, span and flags', () => {
    const header = formatTraceparent('397237206544449536', '00f067aa0ba902b7', false);
    expect(header).toBe('00-0000000000000000058345227ba68000-00f067aa0ba902b7-00');
    expect(parseTraceparent(header)).toEqual({
      traceId: '0000000000000000058345227ba68000',
      parentId: '00f067aa0ba902b7',
      flags: 0,
    });
  });
});

describe('extractTrace / injectTrace', () => {
  function roundTrip(outgoing: Parameters<typeof injectTrace>[2]) {
    const headers = new Map<string, string>();
    injectTrace((k, v) => headers.set(k, v), HttpHeaders, outgoing);
    return { headers, incoming: extractTrace((k) => headers.get(k), HttpHeaders) };
  }

  it('carries trace id, hop span, parent, sampled and persistent across a hop', () => {
    const { headers, incoming } = roundTrip({
      traceId: '397237206544449536',
      spanId: '00f067aa0ba902b7',
      parentSpanId: '1111111111111111',
      sampled: false,
      persistent: true,
    });
    expect(headers.get('x-correlation-id')).toBe('397237206544449536');
    expect(headers.get('tracestate')).toBe('phosphor=p:1111111111111111;k:1');
    expect(incoming).toEqual({
      traceId: '397237206544449536',
      hopSpanId: '00f067aa0ba902b7',
      parentSpanId: '1111111111111111',
      sampled: false,
      persistent: true,
      asciiIds: true,
    });
  });

  it('continues a trace from an OpenTelemetry neighbour (traceparent only)', () => {
    const incoming = extractTrace(
      (k) =>
        ({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'otel=x,other=y' })[k],
      HttpHeaders,
    );
    expect(incoming).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      hopSpanId: '00f067aa0ba902b7',
      sampled: true,
      persistent: false,
      tracestate: 'otel=x,other=y',
      asciiIds: true,
    });
  });

  it('uses a Flaki-style correlation id alone, leaving sampling to the local root decision', () => {
    const incoming = extractTrace((k) => ({ 'x-correlation-id': '397237206544449536' })[k], HttpHeaders);
    expect(incoming).toEqual({ traceId: '397237206544449536', persistent: false, asciiIds: true });
  });

  it('prefers the correlation id when traceparent belongs to another trace', () => {
    const incoming = extractTrace(
      (k) =>
        ({
          'x-correlation-id': '42',
          traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        })[k],
      HttpHeaders,
    );
    expect(incoming).toEqual({ traceId: '42', persistent: false, asciiIds: true });
  });

  it.each([['has spaces in it'], ['x'.repeat(65)], ['a,b']])('ignores a malformed correlation id %s', (value) => {
    expect(extractTrace((k) => ({ 'x-correlation-id': value })[k], HttpHeaders)).toBeUndefined();
  });
});
