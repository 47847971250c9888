/**
 * Real traffic for the browser tests: two tracers (a gateway and the ID generator) record the
 * four events of each hop exactly as instrumented services do, and send them over UDP to the
 * collector under test.
 */
import { createTracer, type Tracer } from '@phosphor/tracer';

export interface TrafficOptions {
  collector: string;
  /** Trace ids to create, one small trace each. */
  traceIds: readonly string[];
  /** Name the callee service with this hostile string in the last trace. */
  hostileName?: string;
}

let spanCounter = 0x1000;
function nextSpanId(): string {
  spanCounter++;
  return spanCounter.toString(16).padStart(16, '0');
}

/** One hop recorded by caller and callee tracers: REQ/REP on the caller, IN/OUT on the callee. */
function hop(
  caller: Tracer,
  callee: Tracer,
  traceId: string,
  parentSpanId: string | undefined,
  startMicros: number,
  durationMicros: number,
  endpoints: { from: string; fromEndpoint: string; to: string; toEndpoint: string },
  error?: { code: string; description: string },
): string {
  const spanId = nextSpanId();
  const base = { traceId, spanId, ...endpoints, ...(parentSpanId ? { parentSpanId } : {}) };
  const serverIn = startMicros + 200;
  const serverOut = startMicros + durationMicros - 200;
  caller.emit({ ...base, type: 'REQ', timestampMicros: startMicros, hostname: caller.hostname, zone: 'eu-west-1a' });
  callee.emit({ ...base, type: 'IN', timestampMicros: serverIn, hostname: callee.hostname, zone: 'eu-west-1b' });
  callee.emit({
    ...base,
    type: 'OUT',
    timestampMicros: serverOut,
    hostname: callee.hostname,
    zone: 'eu-west-1b',
    durationMicros: serverOut - serverIn,
    ...(error ? { errorCode: error.code, errorDescription: error.description } : {}),
    tags: { 'rpc.system': 'grpc', note: endpoints.to },
  });
  caller.emit({
    ...base,
    type: 'REP',
    timestampMicros: startMicros + durationMicros,
    hostname: caller.hostname,
    zone: 'eu-west-1a',
    durationMicros,
    ...(error ? { errorCode: error.code, errorDescription: error.description } : {}),
  });
  return spanId;
}

/** Sends one trace per id (gateway → id-generator → redis, plus an error hop) and flushes. */
export async function sendTraffic(options: TrafficOptions): Promise<void> {
  const gateway = createTracer({ service: 'web-gateway', collectors: [options.collector], hostname: 'ip-10-0-1-10' });
  const idgen = createTracer({ service: 'id-generator', collectors: [options.collector], hostname: 'ip-10-0-2-20' });
  const redis = createTracer({ service: 'redis-proxy', collectors: [options.collector], hostname: 'ip-10-0-3-30' });
  const hostile = options.hostileName
    ? createTracer({ service: options.hostileName, collectors: [options.collector], hostname: 'ip-10-0-4-40' })
    : undefined;
  try {
    const now = Date.now() * 1000;
    options.traceIds.forEach((traceId, i) => {
      const t0 = now - 60_000_000 + i * 1_000_000;
      const root = hop(gateway, gateway, traceId, undefined, t0, 40_000 + i * 5_000, {
        from: 'browser',
        fromEndpoint: 'page',
        to: 'web-gateway',
        toEndpoint: 'GET /ids',
      });
      const gen = hop(gateway, idgen, traceId, root, t0 + 2_000, 30_000, {
        from: 'web-gateway',
        fromEndpoint: 'GET /ids',
        to: 'id-generator',
        toEndpoint: 'NextID',
      });
      hop(idgen, redis, traceId, gen, t0 + 4_000, 10_000, {
        from: 'id-generator',
        fromEndpoint: 'NextID',
        to: 'redis-proxy',
        toEndpoint: 'lease',
      });
      hop(
        idgen,
        redis,
        traceId,
        gen,
        t0 + 16_000,
        8_000,
        { from: 'id-generator', fromEndpoint: 'NextID', to: 'redis-proxy', toEndpoint: 'log' },
        i === 0 ? { code: 'UNAVAILABLE', description: 'redis connection refused' } : undefined,
      );
      if (hostile && i === options.traceIds.length - 1) {
        hop(gateway, hostile, traceId, root, t0 + 34_000, 4_000, {
          from: 'web-gateway',
          fromEndpoint: 'GET /ids',
          to: options.hostileName!,
          toEndpoint: options.hostileName!,
        });
      }
    });
  } finally {
    await Promise.all([gateway, idgen, redis, hostile].map((t) => t?.close()));
  }
}
