/**
 * Starts the whole demo in one process: an (embedded) ID service, the quote service, the gateway and
 * the traffic generator. Each demo service has its own tracer whose root trace ids come from the ID
 * service in batches. Ports 0 are allowed (tests, the system tests).
 */
import {
  buildIdService,
  createRemoteIdSource,
  type IdService,
  type IdServiceConfig,
  loadIdServiceConfig,
  resolveIdServiceConfig,
} from '@phosphor/id-generator';
import { createTracer, type Tracer } from '@phosphor/tracer';
import { type DemoConfig, resolveDemoConfig } from './demo-config.js';
import { buildGatewayService, type GatewayService } from './gateway-service.js';
import { buildQuoteService, type QuoteService } from './quote-service.js';
import { buildRatesService, type RatesService } from './rates-service.js';
import { TrafficGenerator } from './traffic-generator.js';

/** Longest wait at startup for the first batch of trace ids from the ID service (a cold gRPC channel takes ~100 ms). */
const ID_POOL_WARMUP_MAX_MILLIS = 2_000;

/** Extras for {@link startDemo}. */
export interface StartDemoExtras {
  /** Full ID service config for the embedded one (its ports and tracing are still set from the demo config). */
  idServiceConfig?: IdServiceConfig;
  /** Random source for the quote service's error/slow decisions. */
  random?: () => number;
}

/** A running demo. */
export interface RunningDemo {
  config: DemoConfig;
  urls: { gateway: string; quoteHttp: string; quoteGrpc: string; idHttp: string; idGrpc: string; rates: string };
  idService: IdService | undefined;
  quote: QuoteService;
  gateway: GatewayService;
  /** The OpenTelemetry-instrumented neighbour (OTLP to the collector). */
  rates: RatesService;
  traffic: TrafficGenerator;
  tracers: { gateway: Tracer; quote: Tracer };
  /** Stops traffic, services and tracers (flushing them). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts everything. `options` is a demo config document (as in configs/demo.yml); it is validated and
 * defaults are filled in.
 */
export async function startDemo(options: unknown = {}, extras: StartDemoExtras = {}): Promise<RunningDemo> {
  const config = resolveDemoConfig(options, 'startDemo options');
  const { host } = config;
  const cleanups: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    let idService: IdService | undefined;
    let idHttp: string;
    let idGrpc: string;
    if (config.idGenerator.embedded) {
      const idConfig = structuredClone(
        extras.idServiceConfig ??
          (config.idGenerator.configFile
            ? await loadIdServiceConfig(config.idGenerator.configFile)
            : resolveIdServiceConfig({})),
      );
      idConfig.service.httpHostPort = `${host}:${config.idGenerator.httpPort}`;
      idConfig.service.grpcHostPort = `${host}:${config.idGenerator.grpcPort}`;
      idConfig.tracing = { ...config.tracing, attributes: idConfig.tracing.attributes };
      idService = await buildIdService(idConfig);
      const started = idService;
      cleanups.push(() => started.close());
      ({ httpUrl: idHttp, grpcTarget: idGrpc } = await idService.start());
    } else {
      idHttp = config.idGenerator.httpUrl!;
      idGrpc = config.idGenerator.grpcTarget!;
    }

    const idSources: ReturnType<typeof createRemoteIdSource>[] = [];
    // A tracer sends to the first reachable collector of its list; rotating the list per service
    // spreads the demo's services over every receiver of a cluster while keeping fail-over.
    const rotatedCollectors = (n: number): string[] => {
      const list = config.tracing.collectors;
      return list.map((_, i) => list[(i + n) % list.length] as string);
    };
    const tracerFor = (service: string): Tracer => {
      const idSource = createRemoteIdSource({ grpcTarget: idGrpc, batchSize: config.idGenerator.traceIdBatchSize });
      idSources.push(idSource);
      const tracer = createTracer({
        service,
        collectors: rotatedCollectors(idSources.length - 1),
        sampleRate: config.tracing.sampleRate,
        enabled: config.tracing.enabled,
        ...(config.tracing.hmacKey ? { hmacKey: config.tracing.hmacKey } : {}),
        idSource,
      });
      cleanups.push(async () => {
        await tracer.close();
        idSource.close();
      });
      return tracer;
    };

    const quoteTracer = tracerFor('quote');
    const quote = await buildQuoteService({
      tracer: quoteTracer,
      idGenerator: { httpUrl: idHttp, grpcTarget: idGrpc },
      errorRate: config.quote.errorRate,
      slowRate: config.quote.slowRate,
      slowDelayMillis: config.quote.slowDelayMillis,
      ...(extras.random ? { random: extras.random } : {}),
    });
    cleanups.push(() => quote.close());
    const quoteUrls = await quote.start(host, config.quote.httpPort, config.quote.grpcPort);

    const rates = buildRatesService({
      quoteHttpUrl: quoteUrls.httpUrl,
      otlpTracesUrl: config.tracing.enabled ? config.tracing.otlpTracesUrl : undefined,
    });
    cleanups.push(() => rates.close());
    const { httpUrl: ratesUrl } = await rates.start(host, config.rates.httpPort);

    const gatewayTracer = tracerFor('gateway');
    const gateway = await buildGatewayService({
      tracer: gatewayTracer,
      quote: quoteUrls,
      idGeneratorHttpUrl: idHttp,
      ratesHttpUrl: ratesUrl,
    });
    cleanups.push(() => gateway.close());
    const { httpUrl: gatewayUrl } = await gateway.start(host, config.gateway.httpPort);

    // The first batch of trace ids is in flight from the ID service; wait for it (bounded) so the first
    // requests already carry ids the ID service issued rather than local fallback ids. Past the bound the
    // services serve anyway: recording never waits on the ID service.
    await Promise.race([
      Promise.all(idSources.map((source) => source.idle())),
      new Promise((resolve) => setTimeout(resolve, ID_POOL_WARMUP_MAX_MILLIS).unref()),
    ]);

    const traffic = new TrafficGenerator({ gatewayUrl, ...config.traffic });
    cleanups.push(() => traffic.stop());
    if (config.traffic.enabled) traffic.start();

    let closed = false;
    return {
      config,
      urls: {
        gateway: gatewayUrl,
        quoteHttp: quoteUrls.httpUrl,
        quoteGrpc: quoteUrls.grpcTarget,
        idHttp,
        idGrpc,
        rates: ratesUrl,
      },
      idService,
      quote,
      gateway,
      rates,
      traffic,
      tracers: { gateway: gatewayTracer, quote: quoteTracer },
      async close() {
        if (closed) return;
        closed = true;
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
