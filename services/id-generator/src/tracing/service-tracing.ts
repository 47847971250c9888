/**
 * Wires the tracer library into the ID service: a tracer whose root trace ids come from this service's
 * own generator, the fastify plugin (IN/OUT per HTTP request) and the gRPC server interceptor.
 */
import type { ServerInterceptor } from '@grpc/grpc-js';
import { createTracer, grpcServerInterceptor, phosphorFastify, type Tracer } from '@phosphor/tracer';
import type { FastifyInstance } from 'fastify';
import type { IdServiceConfig } from '../config/id-service-config.js';
import type { IdGenerator } from '../ids/id-generator.js';
import { GeneratorIdSource } from './generator-id-source.js';

/** The tracer and the instrumentation to register. */
export interface ServiceTracing {
  tracer: Tracer;
  /** Registers the tracing plugin on the root instance (undefined when tracing is off). */
  httpPlugin: ((app: FastifyInstance) => Promise<void>) | undefined;
  grpcInterceptors: ServerInterceptor[];
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
    });
  if (!resolved.enabled) return { tracer: resolved, httpPlugin: undefined, grpcInterceptors: [] };
  return {
    tracer: resolved,
    httpPlugin: async (app) => {
      await app.register(phosphorFastify, { tracer: resolved });
    },
    grpcInterceptors: [grpcServerInterceptor(resolved)],
  };
}
