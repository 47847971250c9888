/**
 * One server under test, in its own child process of ids.bench.ts (argv[2] = which, argv[3] = the UDP sink
 * port): `bare-http` (a fastify route returning a constant), `bare-grpc` (a grpc-js echo), `id-off` (the ID
 * service with no tracer at all) or `id-on` (the ID service traced, sending to the sink). One process per
 * server so nothing one server turns on process-wide (AsyncLocalStorage's async hooks on Node 20, JIT
 * deoptimisations, GC pressure) leaks into another's figures. Prints one JSON line of addresses, then
 * answers `cpu` and `stats` messages over IPC.
 */
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, Server, ServerCredentials, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { TracerStats } from '@phosphor/tracer';
import Fastify from 'fastify';
import { buildIdService } from '../src/app.js';
import { resolveIdServiceConfig } from '../src/config/id-service-config.js';

/** The kinds of server this script can run. */
export type BenchServerKind =
  | 'bare-http'
  | 'bare-grpc'
  | 'id-off'
  | 'id-on'
  | 'id-on-no-emit'
  | 'id-on-no-encode'
  | 'id-on-no-send'
  | 'id-on-no-attributes';

/**
 * Diagnostic variants of the traced ID service (BENCH_BREAKDOWN=1), each cutting the tracer's work at one
 * stage so the cost of the stages after it shows: `no-emit` builds the hop but records
 * nothing; `no-encode` records events into the buffer and drops them at the flush; `no-send` encodes
 * full datagrams and recycles them without the UDP send. (`id-on-no-attributes` is the traced service with
 * `tracing.attributes: false`, a configuration.) They reach into the tracer's private fields —
 * a measuring tool, never a configuration.
 */
type TracerCut = 'no-emit' | 'no-encode' | 'no-send';

interface TracerInternals {
  recordHop(kind: unknown, hop: unknown): void;
  drain(sendPartial: boolean): void;
  ring: { peekRef(): unknown; drop(): void };
  writer: { recycle(datagram: Buffer): void };
  transport: { send(datagram: Buffer, events: number): void };
}

function cut(tracer: unknown, stage: TracerCut): void {
  const internals = tracer as TracerInternals;
  if (stage === 'no-emit') internals.recordHop = () => {};
  if (stage === 'no-encode') {
    internals.drain = () => {
      while (internals.ring.peekRef() !== undefined) internals.ring.drop();
    };
  }
  if (stage === 'no-send') internals.transport.send = (datagram) => internals.writer.recycle(datagram);
}

/** First stdout line of the child. */
export interface BenchServerAddresses {
  http?: string;
  grpc?: string;
}

const CONSTANT_ID = '1308677380302176256';
const kind = process.argv[2] as BenchServerKind;
const sinkPort = Number(process.argv[3]);

async function bareHttp(): Promise<BenchServerAddresses> {
  const bare = Fastify({ logger: false });
  bare.post(
    '/nextid',
    { schema: { response: { 200: { type: 'object', properties: { id: { type: 'string' } } } } } },
    async () => ({ id: CONSTANT_ID }),
  );
  await bare.listen({ host: '127.0.0.1', port: 0 });
  return { http: `http://127.0.0.1:${(bare.server.address() as { port: number }).port}` };
}

async function bareGrpc(): Promise<BenchServerAddresses> {
  const echoDefinition = loadPackageDefinition(
    loadSync(fileURLToPath(new URL('./echo.proto', import.meta.url))),
  ) as unknown as {
    phosphor: { bench: { v1: { Echo: ServiceClientConstructor } } };
  };
  const echo = new Server();
  echo.addService(echoDefinition.phosphor.bench.v1.Echo.service, {
    Echo: (_call: unknown, callback: (error: null, reply: { id: string }) => void) =>
      callback(null, { id: CONSTANT_ID }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    echo.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { grpc: `127.0.0.1:${port}` };
}

let tracerStats: () => TracerStats | undefined = () => undefined;

async function idService(tracing: boolean, stage?: TracerCut, attributes = true): Promise<BenchServerAddresses> {
  // No Redis/Influx backends and no per-request log lines: the bench measures the service's own request
  // path (correlation, generator, validation, metrics/log calls) against the bare peers.
  const service = await buildIdService(
    resolveIdServiceConfig({
      service: { httpHostPort: '127.0.0.1:0', grpcHostPort: '127.0.0.1:0' },
      logging: { stdout: false, requestLogs: false },
      tracing: { enabled: tracing, collectors: [`127.0.0.1:${sinkPort}`], attributes },
    }),
  );
  if (stage !== undefined) cut(service.tracer, stage);
  const addresses = await service.start();
  if (tracing) tracerStats = () => service.tracer.stats();
  return { http: addresses.httpUrl, grpc: addresses.grpcTarget };
}

const starters: Record<BenchServerKind, () => Promise<BenchServerAddresses>> = {
  'bare-http': bareHttp,
  'bare-grpc': bareGrpc,
  'id-off': () => idService(false),
  'id-on': () => idService(true),
  'id-on-no-emit': () => idService(true, 'no-emit'),
  'id-on-no-encode': () => idService(true, 'no-encode'),
  'id-on-no-send': () => idService(true, 'no-send'),
  'id-on-no-attributes': () => idService(true, undefined, false),
};
const start = starters[kind];
if (start === undefined) throw new Error(`bench-servers: argv[2] must be one of ${Object.keys(starters).join(', ')}`);
process.stdout.write(`${JSON.stringify(await start())}\n`);

process.on('message', (message) => {
  if (message === 'exit') process.exit(0);
  if (message === 'stats') process.send?.({ tracer: tracerStats() ?? null });
  // CPU time of this process: on a shared machine, server CPU per request is steadier than wall-clock req/s.
  if (message === 'cpu') {
    const usage = process.cpuUsage();
    process.send?.({ cpuMicros: usage.user + usage.system, systemMicros: usage.system });
  }
});
