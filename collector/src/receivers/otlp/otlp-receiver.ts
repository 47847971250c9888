import { formatDuration } from '@phosphor/service-kit';
import type { TraceEvent } from '@phosphor/wire';
import type { Logger } from 'pino';
import { CollectorError } from '../../errors.js';
import type { PipelineComponent } from '../../pipeline/pipeline-component.js';
import type { ComponentHealth } from '../../storage/span-store.js';
import type { OtlpReceiverConfig } from './config.js';
import { OtlpGrpcServer } from './otlp-grpc-server.js';
import { OtlpHttpServer } from './otlp-http-server.js';
import { OtlpIngest, type OtlpIngestStats } from './otlp-ingest.js';

/** Bound OTLP ports; undefined for a listener that is off. */
export interface OtlpAddresses {
  otlpHttpPort?: number;
  otlpGrpcPort?: number;
}

/**
 * The OTLP trace receiver: OTLP/HTTP (`POST /v1/traces`, protobuf or JSON, gzip) and OTLP/gRPC
 * (TraceService/Export), each on its own listener and each optional. Spans become events handed
 * to `onEvents`, the same assembly entry point as datagrams.
 */
export class OtlpReceiver implements PipelineComponent {
  readonly name = 'otlp';
  readonly statsKey = 'otlp';
  readonly ingest: OtlpIngest;
  private readonly http: OtlpHttpServer | undefined;
  private readonly grpc: OtlpGrpcServer | undefined;
  private addresses: OtlpAddresses | undefined;

  constructor(
    private readonly config: OtlpReceiverConfig,
    onEvents: (events: TraceEvent[]) => void,
    logger: Logger,
    warnIntervalMillis: number,
  ) {
    this.ingest = new OtlpIngest(
      { parentWaitMillis: config.parentWaitMillis, maxWaitingSpans: config.maxWaitingSpans, warnIntervalMillis },
      onEvents,
      logger,
    );
    if (config.http.enabled) this.http = new OtlpHttpServer(config.http, this.ingest);
    if (config.grpc.enabled) this.grpc = new OtlpGrpcServer(config.grpc, this.ingest);
  }

  /** True when at least one listener is configured. */
  get enabled(): boolean {
    return this.http !== undefined || this.grpc !== undefined;
  }

  /** Binds the enabled listeners; throws COL_ERR_OTLP_BIND naming the one that failed. */
  async start(): Promise<OtlpAddresses> {
    if (this.addresses) return this.addresses;
    const addresses: OtlpAddresses = {};
    if (this.http) addresses.otlpHttpPort = await bind('otlp.http', this.config.http, () => this.http!.start());
    if (this.grpc) addresses.otlpGrpcPort = await bind('otlp.grpc', this.config.grpc, () => this.grpc!.start());
    this.ingest.start();
    this.addresses = addresses;
    return addresses;
  }

  /** Stops both listeners, then passes on the spans still waiting for a parent. Safe to call twice. */
  async close(): Promise<void> {
    await Promise.all([this.http?.close(), this.grpc?.close()]);
    this.ingest.stop();
    this.addresses = undefined;
  }

  stats(): OtlpIngestStats & OtlpAddresses {
    return { ...this.ingest.stats(), ...this.addresses };
  }

  health(): ComponentHealth {
    if (!this.enabled) return { status: 'Deactivated', tests: [] };
    const bound = this.addresses !== undefined;
    const entry: ComponentHealth['tests'][number] = {
      name: 'listeners',
      duration: formatDuration(0),
      status: bound ? 'OK' : 'KO',
    };
    if (!bound) entry.error = 'OTLP listeners not bound';
    return { status: entry.status, tests: [entry] };
  }
}

async function bind(
  key: string,
  listener: { host: string; port: number },
  start: () => Promise<number>,
): Promise<number> {
  try {
    return await start();
  } catch (err) {
    throw new CollectorError(
      'COL_ERR_OTLP_BIND',
      `${key}: cannot listen on ${listener.host}:${listener.port}: ${(err as Error).message}`,
      key,
      { cause: err },
    );
  }
}
