import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { OtlpListenerConfig } from './config.js';
import type { OtlpIngest } from './otlp-ingest.js';
import { encodeErrorStatus, encodeExportResponse, HTTP_STATUS_BY_REJECTION } from './otlp-responses.js';
import type { RequestRejection } from './rejection-reasons.js';

const gunzipAsync = promisify(gunzip);
/** The OTLP/HTTP traces path (OTel SDKs append it to OTEL_EXPORTER_OTLP_ENDPOINT). */
export const OTLP_TRACES_PATH = '/v1/traces';
const CONTENT_TYPES = { protobuf: 'application/x-protobuf', json: 'application/json' } as const;

/** Options of {@link OtlpHttpServer}. */
export interface OtlpHttpServerOptions extends OtlpListenerConfig {
  maxDecompressedBytes: number;
}

/**
 * OTLP/HTTP on its own listener (as the OTel Collector does: `:4318/v1/traces`), plain node:http
 * rather than the API's fastify: one route, and body limits, gzip and error bodies are OTLP's own.
 */
export class OtlpHttpServer {
  private readonly server: Server;

  constructor(
    private readonly options: OtlpHttpServerOptions,
    private readonly ingest: OtlpIngest,
  ) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    });
    // Exporters keep connections open between batches; a dead client must not hold a socket forever.
    this.server.keepAliveTimeout = 65_000;
    this.server.requestTimeout = 30_000;
  }

  /** Binds and returns the port. */
  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops accepting and closes idle connections. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== OTLP_TRACES_PATH) return this.refuse(res, 'not_found', `no route ${req.method} ${path}`, 'json');
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 12, message: `method ${req.method} not allowed: use POST` }));
      req.resume();
      return;
    }
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    const format =
      mediaType === CONTENT_TYPES.protobuf ? 'protobuf' : mediaType === CONTENT_TYPES.json ? 'json' : undefined;
    if (format === undefined) {
      return this.refuse(
        res,
        'unsupported_media_type',
        `Content-Type ${JSON.stringify(mediaType)}: use application/x-protobuf or application/json`,
        'json',
        req,
      );
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'gzip' && encoding !== 'identity') {
      return this.refuse(res, 'bad_encoding', `Content-Encoding ${encoding}: use gzip or none`, format, req);
    }
    const max = this.options.maxRequestBytes;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      return this.refuse(res, 'too_large', `body of ${declared} bytes exceeds ${max}`, format, req);
    }
    const body = await readBody(req, max);
    if (body === undefined) return this.refuse(res, 'too_large', `body exceeds ${max} bytes`, format, req);
    let payload: Buffer = body;
    if (encoding === 'gzip') {
      try {
        payload = await gunzipAsync(body, { maxOutputLength: this.options.maxDecompressedBytes });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
          return this.refuse(
            res,
            'decompressed_too_large',
            `gzip body inflates past ${this.options.maxDecompressedBytes} bytes`,
            format,
          );
        }
        return this.refuse(res, 'bad_encoding', `gzip body does not inflate: ${(err as Error).message}`, format);
      }
    }
    const outcome = this.ingest.handle(payload, format, 'http');
    if (!outcome.ok) {
      res.writeHead(HTTP_STATUS_BY_REJECTION[outcome.reason], { 'content-type': CONTENT_TYPES[format] });
      res.end(encodeErrorStatus(outcome.reason, outcome.detail, format));
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[format] });
    res.end(encodeExportResponse(outcome, format));
  }

  /** Counts and answers a refused request; an unread body is discarded, or the connection closed. */
  private refuse(
    res: ServerResponse,
    reason: RequestRejection,
    detail: string,
    format: 'protobuf' | 'json',
    unread?: IncomingMessage,
  ): void {
    this.ingest.reject(reason, detail);
    const headers: Record<string, string> = { 'content-type': CONTENT_TYPES[format] };
    // Reading a refused oversized body to its end would cost what the limit is there to save.
    if (reason === 'too_large') headers.connection = 'close';
    res.writeHead(HTTP_STATUS_BY_REJECTION[reason], headers);
    res.end(encodeErrorStatus(reason, detail, format));
    if (unread && !unread.complete) {
      if (reason === 'too_large') res.once('finish', () => unread.destroy());
      else unread.resume();
    }
  }
}

/** Reads the body; undefined (and stops reading) once it passes `maxBytes`. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}
