import { describe, expect, it } from 'vitest';
import { extractTrace, formatTracestate, HttpHeaders, injectTrace, parseTracestate } from '../../src/index.js';

const PARENT_SPAN = '1111111111111111';

describe('parseTracestate', () => {
  it('takes Phosphor’s member apart and keeps everyone else’s in order', () => {
    expect(parseTracestate('congo=t61rcWkgMzE, phosphor=p:1111111111111111;k:1 ,rojo=00f067aa0ba902b7')).toEqual({
      parentSpanId: PARENT_SPAN,
      persistent: true,
      others: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    });
  });

  it.each([
    ['a member without =', 'foo'],
    ['a value with a trailing space inside the member', 'foo=a ,bar=b'.replace(' ,', '\u0001,')],
    ['a key starting with a digit without a vendor', '1abc=x'],
    ['33 members', Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',')],
    ['a 257-char value', `foo=${'x'.repeat(257)}`],
  ])('discards the whole list for %s', (_name, header) => {
    expect(parseTracestate(header)).toEqual({ persistent: false });
  });

  it('accepts a key starting with a digit in the tenant part', () => {
    expect(parseTracestate('1abc@vendor=x').others).toBe('1abc@vendor=x');
  });
});

describe('formatTracestate', () => {
  it('puts Phosphor’s member first and drops a stale one of its own', () => {
    const incoming = parseTracestate('foo=1,phosphor=p:2222222222222222,bar=2');
    expect(formatTracestate(PARENT_SPAN, false, incoming.others)).toBe(`phosphor=p:${PARENT_SPAN},foo=1,bar=2`);
  });

  it('forwards the others alone when it has nothing of its own to say', () => {
    expect(formatTracestate(undefined, false, 'foo=1,bar=2')).toBe('foo=1,bar=2');
    expect(formatTracestate(undefined, false, undefined)).toBeUndefined();
  });

  it('keeps at most 32 members, dropping from the right', () => {
    const others = Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(',');
    const members = formatTracestate(PARENT_SPAN, true, others)?.split(',') ?? [];
    expect(members).toHaveLength(32);
    expect(members[0]).toBe(`phosphor=p:${PARENT_SPAN};k:1`);
    expect(members.at(-1)).toBe('k30=v');
  });

  it('stays within 512 characters, removing long (> 128 chars) members first', () => {
    const long = `long=${'x'.repeat(200)}`;
    const others = [`a=${'1'.repeat(100)}`, long, `b=${'2'.repeat(100)}`, `long2=${'y'.repeat(200)}`, 'c=3'].join(',');
    const state = formatTracestate(PARENT_SPAN, false, others) as string;
    expect(state.length).toBeLessThanOrEqual(512);
    expect(state).toBe(`phosphor=p:${PARENT_SPAN},a=${'1'.repeat(100)},${long},b=${'2'.repeat(100)},c=3`);
  });
});

describe('extract → inject', () => {
  it('forwards other vendors’ members only with a traceparent of the same trace', () => {
    const headers: Record<string, string> = {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    };
    const incoming = extractTrace((name) => headers[name], HttpHeaders);
    expect(incoming?.tracestate).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
    const out: Record<string, string> = {};
    injectTrace(
      (name, value) => {
        out[name] = value;
      },
      HttpHeaders,
      {
        traceId: incoming?.traceId as string,
        spanId: '2222222222222222',
        parentSpanId: incoming?.hopSpanId,
        sampled: true,
        persistent: false,
        tracestate: incoming?.tracestate,
      },
    );
    expect(out.tracestate).toBe('phosphor=p:00f067aa0ba902b7,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');

    const bare = extractTrace((name) => (name === 'tracestate' ? headers.tracestate : undefined), HttpHeaders);
    expect(bare).toBeUndefined();
  });
});
