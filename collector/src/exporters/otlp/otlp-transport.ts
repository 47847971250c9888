import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Client, credentials, status as GrpcStatus, Metadata } from '@grpc/grpc-js';
import { ExportTraceServiceResponse, TRACE_EXPORT_GRPC_PATH } from '../../otlp/otlp-schema.js';
import type { OtlpExportConfig } from './config.js';

const gzipAsync = promisify(gzip);

/** How one export request ended; failures are values, never thrown (as OTel exporters do). */
export type SendResult =
  | { ok: true; rejectedSpans: number; errorMessage: string }
  | { ok: false; retryable: boolean; error: string; retryAfterMillis?: number };

/** Sends one encoded ExportTraceServiceRequest. */
export interface OtlpTransport {
  send(body: Uint8Array): Promise<SendResult>;
  close(): void;
}

/** OTLP/HTTP status codes worth retrying (OTLP spec: 429, 502, 503, 504). */
const RETRYABLE_HTTP = new Set([429, 502, 503, 504]);
/** gRPC codes worth retrying (OTLP spec's list). */
const RETRYABLE_GRPC = new Set<number>([
  GrpcStatus.CANCELLED,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.ABORTED,
  GrpcStatus.OUT_OF_RANGE,
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DATA_LOSS,
  GrpcStatus.RESOURCE_EXHAUSTED,
]);

/** Creates the transport of the configured protocol. */
export function createOtlpTransport(config: OtlpExportConfig): OtlpTransport {
  return config.protocol === 'grpc' ? new GrpcTransport(config) : new HttpTransport(config);
}

class HttpTransport implements OtlpTransport {
  constructor(private readonly config: OtlpExportConfig) {}

  async send(body: Uint8Array): Promise<SendResult> {
    const headers: Record<string, string> = { ...this.config.headers, 'content-type': 'application/x-protobuf' };
    let payload: Uint8Array = body;
    if (this.config.gzip) {
      payload = await gzipAsync(body);
      headers['content-encoding'] = 'gzip';
    }
    let response: Response;
    try {
      response = await fetch(this.config.endpoint, {
        method: 'POST',
        headers,
        body: payload,
        signal: AbortSignal.timeout(this.config.requestTimeoutMillis),
      });
    } catch (err) {
      return { ok: false, retryable: true, error: `POST ${this.config.endpoint}: ${describe(err)}` };
    }
    const bytes = new Uint8Array(await response.arrayBuffer().catch(() => new ArrayBuffer(0)));
    if (response.ok) return decodeResponse(bytes);
    const retryAfter = Number(response.headers.get('retry-after'));
    const result: SendResult = {
      ok: false,
      retryable: RETRYABLE_HTTP.has(response.status),
      error: `POST ${this.config.endpoint}: HTTP ${response.status}`,
    };
    if (Number.isFinite(retryAfter) && retryAfter > 0) result.retryAfterMillis = retryAfter * 1000;
    return result;
  }

  close(): void {}
}

class GrpcTransport implements OtlpTransport {
  private readonly client: Client;
  private readonly metadata = new Metadata();

  constructor(private readonly config: OtlpExportConfig) {
    const url = new URL(config.endpoint);
    const secure = url.protocol === 'https:';
    this.client = new Client(url.host, secure ? credentials.createSsl() : credentials.createInsecure());
    for (const [key, value] of Object.entries(config.headers)) this.metadata.set(key.toLowerCase(), value);
  }

  send(body: Uint8Array): Promise<SendResult> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        TRACE_EXPORT_GRPC_PATH,
        (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
        (b: Buffer) => b,
        body,
        this.metadata,
        { deadline: Date.now() + this.config.requestTimeoutMillis },
        (err, reply) => {
          if (err) {
            resolve({
              ok: false,
              retryable: RETRYABLE_GRPC.has(err.code ?? GrpcStatus.UNKNOWN),
              error: `${this.config.endpoint} Export: ${err.message}`,
            });
          } else resolve(decodeResponse(reply ?? Buffer.alloc(0)));
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

function decodeResponse(bytes: Uint8Array): SendResult {
  try {
    const response = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(bytes), {
      longs: Number,
    }) as { partialSuccess?: { rejectedSpans?: number; errorMessage?: string } };
    return {
      ok: true,
      rejectedSpans: response.partialSuccess?.rejectedSpans ?? 0,
      errorMessage: response.partialSuccess?.errorMessage ?? '',
    };
  } catch {
    // The data was accepted (2xx); an unreadable body only loses the partial-success detail.
    return { ok: true, rejectedSpans: 0, errorMessage: '' };
  }
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message;
}
