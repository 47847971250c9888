import { type Context, context as otelContext, ROOT_CONTEXT, type Span, SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';

/** The three OTLP exporters of the OpenTelemetry JS SDK. */
export type ExporterKind = 'http/protobuf' | 'http/json' | 'grpc' | 'http/protobuf+gzip' | 'grpc+gzip';
export const EXPORTER_KINDS: readonly ExporterKind[] = [
  'http/protobuf',
  'http/json',
  'grpc',
  'http/protobuf+gzip',
  'grpc+gzip',
];

/** A real OTLP exporter pointed at a collector's OTLP listeners. */
export function otlpExporter(
  kind: ExporterKind,
  ports: { otlpHttpPort?: number; otlpGrpcPort?: number },
): SpanExporter {
  const compression = kind.endsWith('+gzip') ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE;
  if (kind.startsWith('grpc')) return new GrpcExporter({ url: `http://127.0.0.1:${ports.otlpGrpcPort}`, compression });
  const url = `http://127.0.0.1:${ports.otlpHttpPort}/v1/traces`;
  return kind === 'http/json' ? new JsonExporter({ url, compression }) : new ProtoExporter({ url, compression });
}

/** An OTel SDK 2.x tracer provider for one service, exporting every span as it ends. */
export function otelService(service: string, exporter: SpanExporter): BasicTracerProvider {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'host.name': `${service}-host` }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
}

const propagator = new W3CTraceContextPropagator();

/** Writes `traceparent` (and `tracestate`) for the span in `ctx` into `headers`. */
export function injectHeaders(ctx: Context, headers: Record<string, string> = {}): Record<string, string> {
  propagator.inject(ctx, headers, {
    set: (carrier, key, value) => {
      carrier[key] = value;
    },
  });
  return headers;
}

/** The remote parent context an OTel server builds from incoming headers. */
export function extractHeaders(headers: Record<string, string | string[] | undefined>): Context {
  return propagator.extract(ROOT_CONTEXT, headers, {
    get: (carrier, key) => {
      const value = carrier[key];
      return Array.isArray(value) ? value[0] : value;
    },
    keys: (carrier) => Object.keys(carrier),
  });
}

/** Starts a span of `kind` under `parent`. */
export function startSpan(
  provider: BasicTracerProvider,
  name: string,
  kind: SpanKind,
  parent: Context,
  attributes: Record<string, string | number> = {},
): { span: Span; ctx: Context } {
  const span = provider.getTracer('phosphor-test').startSpan(name, { kind, attributes }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}

export { otelContext, ROOT_CONTEXT, SpanKind };
