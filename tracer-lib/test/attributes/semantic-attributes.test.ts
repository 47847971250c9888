import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  credentials,
  makeGenericClientConstructor,
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { standardTagCode, standardTagKey } from '@phosphor/wire';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ATTRIBUTES } from '../../src/attributes/semantic-conventions.js';
import { phosphorFastify } from '../../src/fastify.js';
import { tracedFetch } from '../../src/fetch.js';
import { grpcClientInterceptor, traceGrpcHandlers } from '../../src/grpc.js';
import { tracedHttpRequest, traceHttpServer } from '../../src/http.js';
import { createTracer, TracerError, type TracerOptions } from '../../src/index.js';
import { eventOf, TracedServices } from '../support/traced-receiver.js';

let services: TracedServices;
const apps: FastifyInstance[] = [];
const servers: Server[] = [];

beforeEach(async () => {
  services = await TracedServices.start();
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  for (const server of servers.splice(0)) server.forceShutdown();
  await services.close();
});

/** quote (fastify) called by gateway's tracedFetch, both with `options`. */
async function httpHop(path: string, options: Omit<TracerOptions, 'service'> = {}) {
  const quote = Fastify();
  await quote.register(phosphorFastify, { tracer: services.tracer('quote', options) });
  quote.get('/price/:sku', async () => ({ price: 1 }));
  quote.get('/boom', async () => {
    throw Object.assign(new Error('no config'), { code: 'E_CONFIG' });
  });
  const quoteUrl = await quote.listen({ port: 0, host: '127.0.0.1' });
  apps.push(quote);
  const call = tracedFetch(services.tracer('gateway', options), { to: 'quote' });
  const response = await call(`${quoteUrl}${path}`, { endpoint: 'GET /price/:sku' });
  await response.text();
  const events = await services.events(4);
  return { events, port: new URL(quoteUrl).port };
}

describe('OpenTelemetry semantic-convention attributes', () => {
  it('fastify and fetch put the HTTP attributes on every hop: request ones first, status on the reply', async () => {
    const { events, port } = await httpHop('/price/abc');
    expect(eventOf(events, 'REQ', 'gateway').tags).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': port,
    });
    expect(eventOf(events, 'IN', 'quote').tags).toEqual({
      'http.request.method': 'GET',
      'http.route': '/price/:sku',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': port,
    });
    expect(eventOf(events, 'OUT', 'quote').tags).toEqual({ 'http.response.status_code': '200' });
    expect(eventOf(events, 'REP', 'gateway').tags).toEqual({ 'http.response.status_code': '200' });
  });

  it('adds error.type (the status code) when a hop fails', async () => {
    const { events } = await httpHop('/boom');
    expect(eventOf(events, 'OUT', 'quote').tags).toEqual({ 'http.response.status_code': '500', 'error.type': '500' });
    expect(eventOf(events, 'OUT', 'quote').errorCode).toBe('E_CONFIG');
    expect(eventOf(events, 'REP', 'gateway').tags).toEqual({ 'http.response.status_code': '500', 'error.type': '500' });
  });

  it('records none with attributes: false, and only the chosen ones with a list', async () => {
    const off = await httpHop('/price/abc', { attributes: false });
    for (const event of off.events) expect(event.tags).toBeUndefined();
    await services.close();
    services = await TracedServices.start();
    const some = await httpHop('/price/abc', { attributes: ['http.request.method', 'http.response.status_code'] });
    expect(eventOf(some.events, 'IN', 'quote').tags).toEqual({ 'http.request.method': 'GET' });
    expect(eventOf(some.events, 'OUT', 'quote').tags).toEqual({ 'http.response.status_code': '200' });
  });

  it('has a one-byte wire code for every default attribute key (they travel as codes, not text)', () => {
    for (const name of DEFAULT_ATTRIBUTES) expect(standardTagKey(standardTagCode(name) ?? 0)).toBe(name);
  });

  it('refuses an attribute name it does not know', () => {
    expect(() => createTracer({ service: 'quote', attributes: ['http.method'] })).toThrow(TracerError);
    expect(() => createTracer({ service: 'quote', attributes: ['http.method'] })).toThrow(/attributes\[0\]/);
  });

  it('gRPC puts rpc.* and the numeric status on every hop, error.type the status name', async () => {
    const json = {
      serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
      deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as { sku: string },
    };
    const service: ServiceDefinition = {
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
    const server = new Server();
    servers.push(server);
    server.addService(
      service,
      traceGrpcHandlers(services.tracer('quote'), service, {
        getQuote: (
          call: { request: { sku: string } },
          callback: (err: Partial<ServiceError> | null, res?: unknown) => void,
        ) => {
          if (call.request.sku === 'missing') callback({ code: status.NOT_FOUND, details: 'no such sku' });
          else callback(null, { sku: call.request.sku });
        },
      }),
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    const Client = makeGenericClientConstructor(service, 'Quote');
    const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), {
      interceptors: [grpcClientInterceptor(services.tracer('gateway'), { to: 'quote', address: `127.0.0.1:${port}` })],
    }) as unknown as { getQuote(req: unknown, cb: (err: unknown) => void): void; close(): void };
    for (const sku of ['abc', 'missing'])
      await new Promise<void>((resolve) => client.getQuote({ sku }, () => resolve()));
    client.close();
    const events = await services.events(8);
    const rpc = { 'rpc.system': 'grpc', 'rpc.service': 'phosphor.test.Quote', 'rpc.method': 'GetQuote' };
    const reqs = events.filter((e) => e.type === 'REQ');
    const ins = events.filter((e) => e.type === 'IN');
    const outs = events.filter((e) => e.type === 'OUT');
    const reps = events.filter((e) => e.type === 'REP');
    for (const e of reqs)
      expect(e.tags).toEqual({ ...rpc, 'server.address': '127.0.0.1', 'server.port': String(port) });
    for (const e of ins) expect(e.tags).toEqual(rpc);
    expect(outs.map((e) => e.tags)).toEqual([
      { 'rpc.grpc.status_code': '0' },
      { 'rpc.grpc.status_code': '5', 'error.type': 'NOT_FOUND' },
    ]);
    expect(reps.map((e) => e.tags)).toEqual(outs.map((e) => e.tags));
  });

  it('node:http server and http.request put the HTTP attributes on their hops', async () => {
    const quote = traceHttpServer(
      services.tracer('quote'),
      createServer((req, res) => {
        res.statusCode = req.url === '/boom' ? 503 : 200;
        res.end('{}');
      }),
    );
    await new Promise<void>((resolve) => quote.listen(0, '127.0.0.1', resolve));
    const port = String((quote.address() as AddressInfo).port);
    const call = tracedHttpRequest(services.tracer('gateway'), { to: 'quote', request: httpRequest });
    for (const path of ['/price/abc', '/boom']) {
      await new Promise<void>((resolve, reject) => {
        const req = call({ host: '127.0.0.1', port, path, endpoint: 'GET /price/:sku' }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end();
      });
    }
    await new Promise((resolve) => quote.close(resolve));
    const events = await services.events(8);
    const request = {
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': port,
    };
    for (const e of events.filter((e) => e.type === 'REQ' || e.type === 'IN')) expect(e.tags).toEqual(request);
    expect(events.filter((e) => e.type === 'OUT').map((e) => e.tags)).toEqual([
      { 'http.response.status_code': '200' },
      { 'http.response.status_code': '503', 'error.type': '503' },
    ]);
    expect(events.filter((e) => e.type === 'REP').map((e) => e.tags)).toEqual([
      { 'http.response.status_code': '200' },
      { 'http.response.status_code': '503', 'error.type': '503' },
    ]);
  });
});
