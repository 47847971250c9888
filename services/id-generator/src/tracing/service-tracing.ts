/**
 * Wires the tracer library into the ID service: a tracer whose root trace ids come from this service's
 * own generator, the fastify plugin (IN/OUT per HTTP request) and the gRPC handler wrapper (IN/OUT per
 * call). Both use the request-scoped context (`context: 'request'`): the ID service makes no traced
 * outgoing calls, so it reads the hop with `traceOf(request)` / `traceOf(call)` and never enters an
 * AsyncLocalStorage — which on Node 20 would turn on async hooks for every promise in the process
 * (most of the tracing cost measured in docs/benchmarks.md, "ID service").
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { createTracer, type Tracer } from '@phosphor/tracer';
import { phosphorFastify } from '@phosphor/tracer/fastify';
import { traceGrpcHandlers } from '@phosphor/tracer/grpc';
import type { FastifyInstance } from 'fastify';
import type { IdServiceConfig } from '../config/id-service-config.js';
import { IdGeneratorService } from '../grpc/proto.js';
import type { IdGenerator } from '../ids/id-generator.js';
import { GeneratorIdSource } from './generator-id-source.js';

/** The tracer and the instrumentation to register. */
export interface ServiceTracing {
  tracer: Tracer;
  /** Registers the tracing plugin on the root instance (undefined when tracing is off). */
  httpPlugin: ((app: FastifyInstance) => Promise<void>) | undefined;
  /** Wraps the gRPC implementation with traced handlers (undefined when tracing is off). */
  grpcHandlers: ((implementation: UntypedServiceImplementation) => UntypedServiceImplementation) | undefined;
}

/** Builds the tracer (a no-op one when `tracing.enabled` is false) and the instrumentation. */
export function createServiceTracing(config: IdServiceConfig, generator: IdGenerator, tracer?: Tracer): ServiceTracing {
  const resolved =
    tracer ??
    createTracer({
      service: config.service.name,
      collectors: config.tracing.collectors,
      sampleRate: config.tracing.sampleRate,
      ...(config.tracing.hmacKey ? { hmacKey: config.tracing.hmacKey } : {}),
      idSource: new GeneratorIdSource(generator),
      enabled: config.tracing.enabled,
      attributes: config.tracing.attributes,
    });
  if (!resolved.enabled) return { tracer: resolved, httpPlugin: undefined, grpcHandlers: undefined };
  return {
    tracer: resolved,
    httpPlugin: async (app) => {
      // Every request reaches a route's handler or the not-found handler (no hook of the service
      // answers one), and every route's handler already runs in the HTTP API's own wrapper, which
      // records the hop (`fastifyRouteHops`): no per-request hook chains, no second wrapper.
      await app.register(phosphorFastify, { tracer: resolved, context: 'request', instrument: 'manual' });
    },
    grpcHandlers: (implementation) =>
      traceGrpcHandlers(resolved, IdGeneratorService.service, implementation, { context: 'request' }),
  };
}
