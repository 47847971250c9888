import {
  type Client,
  credentials,
  makeGenericClientConstructor,
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../src/grpc.js';
import { currentTrace, runWithTrace, type TraceContext } from '../../src/index.js';
import { eventOf, TracedServices } from '../support/traced-receiver.js';

interface Quote {
  sku: string;
  trace?: TraceContext | undefined;
}

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as Quote,
};
const QuoteService: ServiceDefinition = {
  getQuote: {
    path: '/phosphor.test.Quote/GetQuote',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};

let services: TracedServices;
let server: Server;
let client: Client & { getQuote: (req: Quote, cb: (err: ServiceError | null, res?: Quote) => void) => void };

beforeEach(async () => {
  services = await TracedServices.start();
  server = new Server({ interceptors: [grpcServerInterceptor(services.tracer('quote'))] });
  server.addService(QuoteService, {
    getQuote: (call: { request: Quote }, callback: (err: Partial<ServiceError> | null, res?: Quote) => void) => {
      if (call.request.sku === 'missing') callback({ code: status.NOT_FOUND, details: 'no such sku' });
      else callback(null, { sku: call.request.sku, trace: currentTrace() });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const QuoteClient = makeGenericClientConstructor(QuoteService, 'Quote');
  client = new QuoteClient(`127.0.0.1:${port}`, credentials.createInsecure(), {
    interceptors: [grpcClientInterceptor(services.tracer('gateway'), { to: 'quote' })],
  }) as unknown as typeof client;
});

afterEach(async () => {
  client.close();
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  await services.close();
});

function call(request: Quote): Promise<{ err: ServiceError | null; res?: Quote | undefined }> {
  return new Promise((resolve) => client.getQuote(request, (err, res) => resolve({ err, res })));
}

describe('gRPC interceptors', () => {
  const parent: TraceContext = {
    traceId: '397237206544449536',
    spanId: '1111111111111111',
    sampled: true,
    persistent: false,
    endpoint: 'GET /quote/:sku',
  };

  it('record REQ, IN, OUT, REP of a unary call with one span id under the caller span', async () => {
    const { err, res } = await runWithTrace(parent, () => call({ sku: 'abc' }));
    expect(err).toBeNull();
    const events = await services.events(4);
    expect(events).toHaveLength(4);
    const req = eventOf(events, 'REQ', 'gateway');
    for (const e of events) {
      expect(e).toMatchObject({ traceId: parent.traceId, spanId: req.spanId, parentSpanId: parent.spanId });
    }
    expect(req).toMatchObject({
      fromEndpoint: 'GET /quote/:sku',
      to: 'quote',
      toEndpoint: '/phosphor.test.Quote/GetQuote',
    });
    expect(eventOf(events, 'IN', 'quote')).toMatchObject({ toEndpoint: '/phosphor.test.Quote/GetQuote' });
    expect(eventOf(events, 'OUT', 'quote').errorCode).toBeUndefined();
    expect(eventOf(events, 'REP', 'gateway').errorCode).toBeUndefined();
    // The handler ran in the hop's context.
    expect(res?.trace).toMatchObject({ traceId: parent.traceId, spanId: req.spanId });
  });

  it('put the status name as error code on OUT and REP when the status is not OK', async () => {
    const { err } = await runWithTrace(parent, () => call({ sku: 'missing' }));
    expect(err?.code).toBe(status.NOT_FOUND);
    const events = await services.events(4);
    expect(eventOf(events, 'OUT', 'quote')).toMatchObject({ errorCode: 'NOT_FOUND', errorDescription: 'no such sku' });
    expect(eventOf(events, 'REP', 'gateway')).toMatchObject({ errorCode: 'NOT_FOUND' });
  });

  it('start a new trace for a call made outside any trace', async () => {
    await call({ sku: 'abc' });
    const events = await services.events(4);
    const req = eventOf(events, 'REQ', 'gateway');
    expect(req.traceId).toMatch(/^[1-9][0-9]*$/);
    expect(req.parentSpanId).toBeUndefined();
    expect(new Set(events.map((e) => e.traceId)).size).toBe(1);
  });
});
