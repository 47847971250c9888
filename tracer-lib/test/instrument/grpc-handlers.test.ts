import {
  type Client,
  credentials,
  Metadata as GrpcMetadata,
  type Metadata,
  makeGenericClientConstructor,
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { traceGrpcHandlers } from '../../src/grpc.js';
import { createTracer, currentTrace, type TraceContext, traceOf } from '../../src/index.js';
import { eventOf, TracedServices } from '../support/traced-receiver.js';

interface Quote {
  sku: string;
  fromCall?: TraceContext | null;
  fromStorage?: TraceContext | null;
}

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as Quote,
};
const unary = {
  requestStream: false,
  responseStream: false,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
};
const QuoteService: ServiceDefinition = {
  getQuote: { path: '/phosphor.test.Quote/GetQuote', ...unary },
  quoteMany: { path: '/phosphor.test.Quote/QuoteMany', ...unary, requestStream: true },
};

type Callback = (err: Partial<ServiceError> | null, res?: Quote, trailer?: never) => void;
const implementation = {
  // Client streaming: skus arrive one message each, one reply names them all.
  quoteMany: (call: NodeJS.EventEmitter, callback: Callback) => {
    const skus: string[] = [];
    call.on('data', (quote: Quote) => skus.push(quote.sku));
    call.on('end', () => callback(null, { sku: skus.join('+'), fromCall: traceOf(call) ?? null }));
  },
  getQuote: (call: { request: Quote }, callback: Callback) => {
    const sku = call.request.sku;
    if (sku === 'missing') {
      callback({ code: status.NOT_FOUND, details: 'no such sku' });
    } else if (sku === 'throw') {
      throw new Error('handler bug');
    } else if (sku === 'own-trailer' || sku === 'other-trailer') {
      const trailer = new GrpcMetadata();
      trailer.set(sku === 'own-trailer' ? 'correlation_id' : 'x-other', 'set-by-handler');
      callback(null, { sku }, trailer as never);
    } else if (sku === 'plain-error') {
      callback(new Error('disk on fire') as Partial<ServiceError>);
    } else {
      // Answer after a turn of the event loop, as real handlers do.
      setImmediate(() => callback(null, { sku, fromCall: traceOf(call) ?? null, fromStorage: currentTrace() ?? null }));
    }
  },
};

let services: TracedServices;
let server: Server;
let client: Client & {
  getQuote: (
    req: Quote,
    metadata: Metadata,
    cb: (err: ServiceError | null, res?: Quote) => void,
  ) => {
    on(event: 'status', listener: (status: { metadata: Metadata }) => void): void;
  };
};

async function start(context: 'request' | 'asyncLocalStorage'): Promise<void> {
  server = new Server();
  server.addService(
    QuoteService,
    traceGrpcHandlers(services.tracer('quote'), QuoteService, implementation, { context }),
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const QuoteClient = makeGenericClientConstructor(QuoteService, 'Quote');
  client = new QuoteClient(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as typeof client;
}

beforeEach(async () => {
  services = await TracedServices.start();
});

afterEach(async () => {
  client?.close();
  if (server) await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  await services.close();
});

interface Reply {
  err: ServiceError | null;
  res?: Quote | undefined;
  trailers: Metadata | undefined;
}

function call(request: Quote, metadata: Record<string, string> = {}): Promise<Reply> {
  const md = new GrpcMetadata();
  for (const [key, value] of Object.entries(metadata)) md.set(key, value);
  return new Promise((resolve) => {
    let outcome: { err: ServiceError | null; res?: Quote | undefined } | undefined;
    let trailers: Metadata | undefined;
    // The callback and the status event come in either order: resolve when both have.
    const settle = () => {
      if (outcome !== undefined && trailers !== undefined) resolve({ ...outcome, trailers });
    };
    const pending = client.getQuote(request, md, (err, res) => {
      outcome = { err, res };
      settle();
    });
    pending.on('status', (status) => {
      trailers = status.metadata;
      settle();
    });
  });
}

describe("traceGrpcHandlers with context: 'request'", () => {
  it('records IN and OUT with one span id; the handler gets the hop from traceOf(call), no AsyncLocalStorage store', async () => {
    await start('request');
    const { err, res, trailers } = await call({ sku: 'abc' });
    expect(err).toBeNull();
    const events = await services.events(2);
    const inEvent = eventOf(events, 'IN', 'quote');
    const outEvent = eventOf(events, 'OUT', 'quote');
    expect(inEvent).toMatchObject({ toEndpoint: '/phosphor.test.Quote/GetQuote', hostname: 'quote-host', flags: 1 });
    expect(outEvent).toMatchObject({ traceId: inEvent.traceId, spanId: inEvent.spanId });
    expect(outEvent.errorCode).toBeUndefined();
    expect(res?.fromCall).toMatchObject({
      traceId: inEvent.traceId,
      spanId: inEvent.spanId,
      endpoint: '/phosphor.test.Quote/GetQuote',
    });
    expect(res?.fromStorage).toBeNull();
    expect(trailers?.get('correlation_id')).toEqual([inEvent.traceId]);
  });

  it('keeps a correlation_id the handler put in its trailer, and adds one to a trailer that has none', async () => {
    await start('request');
    const own = await call({ sku: 'own-trailer' });
    expect(own.trailers?.get('correlation_id')).toEqual(['set-by-handler']);
    const other = await call({ sku: 'other-trailer' });
    expect(other.trailers?.get('x-other')).toEqual(['set-by-handler']);
    expect(other.trailers?.get('correlation_id')).toEqual([expect.stringMatching(/^[1-9][0-9]*$/)]);
  });

  it('continues the correlation_id and traceparent metadata', async () => {
    await start('request');
    const { res, trailers } = await call(
      { sku: 'abc' },
      {
        traceparent: '00-0000000000000000000000000000002a-00f067aa0ba902b7-01',
        tracestate: 'phosphor=p:1111111111111111',
      },
    );
    expect(res?.fromCall).toMatchObject({ traceId: '42', spanId: '00f067aa0ba902b7' });
    expect(trailers?.get('correlation_id')).toEqual(['42']);
    const flaki = await call({ sku: 'abc' }, { correlation_id: '397237206544449536' });
    expect(flaki.res?.fromCall?.traceId).toBe('397237206544449536');
    const events = await services.events(4);
    expect(events.filter((e) => e.traceId === '42').map((e) => [e.type, e.parentSpanId])).toEqual([
      ['IN', '1111111111111111'],
      ['OUT', '1111111111111111'],
    ]);
  });

  it.each([
    ['missing', status.NOT_FOUND, 'NOT_FOUND', 'no such sku'],
    ['plain-error', status.UNKNOWN, 'UNKNOWN', 'disk on fire'],
    ['throw', status.UNKNOWN, 'UNKNOWN', 'handler bug'],
  ])('sku %s: the client gets status %i and OUT carries %s', async (sku, code, errorCode, description) => {
    await start('request');
    const { err, trailers } = await call({ sku });
    expect(err?.code).toBe(code);
    // The correlation id goes back on failures too (grpc-js sends no trailer metadata for a thrown handler).
    if (sku !== 'throw') expect(trailers?.get('correlation_id')).toHaveLength(1);
    const events = await services.events(2);
    expect(eventOf(events, 'OUT', 'quote')).toMatchObject({ errorCode, errorDescription: description });
  });
});

describe('traceGrpcHandlers on a client-streaming method', () => {
  it('records IN when the handler starts and OUT when it calls back after the stream ended', async () => {
    await start('request');
    const streaming = client as unknown as {
      quoteMany(cb: (err: ServiceError | null, res?: Quote) => void): { write(q: Quote): void; end(): void };
    };
    const res = await new Promise<Quote | undefined>((resolve, reject) => {
      const stream = streaming.quoteMany((err, reply) => (err ? reject(err) : resolve(reply)));
      stream.write({ sku: 'a' });
      stream.write({ sku: 'b' });
      stream.end();
    });
    expect(res?.sku).toBe('a+b');
    const events = await services.events(2);
    const inEvent = eventOf(events, 'IN', 'quote');
    expect(inEvent.toEndpoint).toBe('/phosphor.test.Quote/QuoteMany');
    expect(eventOf(events, 'OUT', 'quote')).toMatchObject({ spanId: inEvent.spanId, traceId: inEvent.traceId });
    expect(res?.fromCall?.spanId).toBe(inEvent.spanId);
  });
});

describe("traceGrpcHandlers with context: 'asyncLocalStorage' (default)", () => {
  it('runs the handler inside the hop context and attaches it to the call', async () => {
    await start('asyncLocalStorage');
    const { res } = await call({ sku: 'abc' });
    expect(res?.fromCall?.traceId).toMatch(/^[1-9][0-9]*$/);
    expect(res?.fromStorage).toEqual(res?.fromCall);
  });
});

describe('traceGrpcHandlers arguments', () => {
  it('returns the implementation untouched with a disabled tracer', () => {
    const tracer = createTracer({ service: 'quote', enabled: false });
    expect(traceGrpcHandlers(tracer, QuoteService, implementation)).toBe(implementation);
  });

  it.each([
    ['a missing tracer', () => traceGrpcHandlers(undefined as never, QuoteService, implementation), /tracer: must be/],
    [
      'a bad context',
      () => traceGrpcHandlers(services.tracer('q'), QuoteService, implementation, { context: 'als' as never }),
      /context: must be one of 'asyncLocalStorage', 'request' \(got "als"\)/,
    ],
    [
      'a handler that is not a function',
      () => traceGrpcHandlers(services.tracer('q'), QuoteService, { getQuote: 42 } as never),
      /implementation\.getQuote: must be a function/,
    ],
    [
      'a server-streaming method',
      () =>
        traceGrpcHandlers(
          services.tracer('q'),
          { watch: { ...unary, path: '/phosphor.test.Quote/Watch', responseStream: true } },
          { watch: () => {} },
        ),
      /watch: server-streaming and bidi methods are not supported/,
    ],
  ])('rejects %s with TRC_ERR_OPTIONS_INVALID', (_label, build, message) => {
    expect(build).toThrow('TRC_ERR_OPTIONS_INVALID');
    expect(build).toThrow(message);
  });
});
