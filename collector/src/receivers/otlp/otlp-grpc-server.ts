import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { ExportTraceServiceResponse, TRACE_EXPORT_GRPC_PATH } from '../../otlp/otlp-schema.js';
import type { OtlpListenerConfig } from './config.js';
import type { OtlpIngest } from './otlp-ingest.js';
import { exportResponseObject, GRPC_STATUS_BY_REJECTION } from './otlp-responses.js';

/**
 * grpc-js refuses messages above its own limit before the handler runs (RESOURCE_EXHAUSTED, not
 * counted here); it is set to this multiple of `maxRequestBytes` so that requests just above the
 * configured limit reach the handler and are counted as `too_large`.
 */
const GRPC_HARD_LIMIT_FACTOR = 2;

/**
 * TraceService/Export. The request is deserialized by the handler, not by grpc-js, so a request
 * that does not decode is counted and answered INVALID_ARGUMENT like any other bad input.
 */
const traceServiceDefinition: ServiceDefinition = {
  Export: {
    path: TRACE_EXPORT_GRPC_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: Buffer) => value,
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: (value: Record<string, unknown>) =>
      Buffer.from(ExportTraceServiceResponse.encode(ExportTraceServiceResponse.fromObject(value)).finish()),
    responseDeserialize: (bytes: Buffer) =>
      ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(bytes)),
  },
};

/** OTLP/gRPC on its own listener (`:4317`), insecure like the UDP and HTTP listeners (loopback by default). */
export class OtlpGrpcServer {
  private readonly server: Server;
  private started = false;

  constructor(
    private readonly options: OtlpListenerConfig,
    ingest: OtlpIngest,
  ) {
    this.server = new Server({
      'grpc.max_receive_message_length': options.maxRequestBytes * GRPC_HARD_LIMIT_FACTOR,
    });
    const implementation: UntypedServiceImplementation = {
      Export: (call: ServerUnaryCall<Buffer, unknown>, callback: sendUnaryData<Record<string, unknown>>) => {
        const body = call.request;
        if (body.length > options.maxRequestBytes) {
          const detail = `message of ${body.length} bytes exceeds ${options.maxRequestBytes}`;
          ingest.reject('too_large', detail);
          callback({ code: GRPC_STATUS_BY_REJECTION.too_large, details: `too_large: ${detail}` });
          return;
        }
        const outcome = ingest.handle(body, 'protobuf', 'grpc');
        if (!outcome.ok) {
          callback({ code: GRPC_STATUS_BY_REJECTION[outcome.reason], details: `${outcome.reason}: ${outcome.detail}` });
          return;
        }
        callback(null, exportResponseObject(outcome));
      },
    };
    this.server.addService(traceServiceDefinition, implementation);
  }

  /** Binds and returns the port. */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(
        `${this.options.host}:${this.options.port}`,
        ServerCredentials.createInsecure(),
        (err, port) => {
          if (err) reject(err);
          else {
            this.started = true;
            resolve(port);
          }
        },
      );
    });
  }

  /** Stops accepting; in-flight calls get a short grace period. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2000);
      force.unref();
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}
