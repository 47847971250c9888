import { describe, expect, it } from 'vitest';
import { attachTrace, currentTrace, type TraceContext, traceOf } from '../src/context.js';
import { createTracer } from '../src/index.js';
import { beginServerHop } from '../src/instrument/hop.js';

const context: TraceContext = { traceId: '42', spanId: '00f067aa0ba902b7', sampled: true, persistent: false };

describe('traceOf', () => {
  it('returns the context attached to a request-like object, and only that', () => {
    const request = {};
    expect(traceOf(request)).toBeUndefined();
    attachTrace(request, context);
    expect(traceOf(request)).toBe(context);
    expect(currentTrace()).toBeUndefined();
  });

  it.each([[undefined], [null], ['request'], [42]])('is undefined for %j (not an object)', (carrier) => {
    expect(traceOf(carrier)).toBeUndefined();
  });

  it('is undefined for a slot declared but never filled (fastify decorates requests with null)', () => {
    const request = { [Symbol.for('@phosphor/tracer.trace')]: null };
    expect(traceOf(request)).toBeUndefined();
  });
});

describe('the context a server hop hands the handler', () => {
  it('serialises as a plain TraceContext, without the hop’s bookkeeping', () => {
    const tracer = createTracer({ service: 'quote', enabled: false });
    const hop = beginServerHop(tracer, { traceId: '42', hopSpanId: '1111111111111111', persistent: false }, 'GET /x');
    expect(JSON.parse(JSON.stringify(hop.context))).toEqual({
      traceId: '42',
      spanId: '1111111111111111',
      sampled: true,
      persistent: false,
      endpoint: 'GET /x',
    });
  });
});
