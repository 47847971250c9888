/**
 * The servers under test, in a child process of ids.bench.ts so the load generator does not share their
 * event loop: a bare fastify route returning a constant, a bare grpc-js echo, and the ID service twice
 * (tracing off / on, sending to the UDP sink whose port is argv[2]). Prints one JSON line of addresses.
 */
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, Server, ServerCredentials, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import Fastify from 'fastify';
import { buildIdService } from '../src/app.js';
import { resolveIdServiceConfig } from '../src/config/id-service-config.js';

const CONSTANT_ID = '1308677380302176256';
const sinkPort = Number(process.argv[2]);

const bare = Fastify({ logger: false });
bare.post(
  '/nextid',
  { schema: { response: { 200: { type: 'object', properties: { id: { type: 'string' } } } } } },
  async () => ({
    id: CONSTANT_ID,
  }),
);
await bare.listen({ host: '127.0.0.1', port: 0 });

const echoDefinition = loadPackageDefinition(
  loadSync(fileURLToPath(new URL('./echo.proto', import.meta.url))),
) as unknown as {
  phosphor: { bench: { v1: { Echo: ServiceClientConstructor } } };
};
const echo = new Server();
echo.addService(echoDefinition.phosphor.bench.v1.Echo.service, {
  Echo: (_call: unknown, callback: (error: null, reply: { id: string }) => void) => callback(null, { id: CONSTANT_ID }),
});
const echoPort = await new Promise<number>((resolve, reject) =>
  echo.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) =>
    error ? reject(error) : resolve(port),
  ),
);

function idConfig(tracing: boolean) {
  // No Redis/Influx backends and no per-request log lines: the bench measures the service's own request
  // path (correlation, generator, validation, metrics/log calls) against the bare peers.
  return resolveIdServiceConfig({
    service: { httpHostPort: '127.0.0.1:0', grpcHostPort: '127.0.0.1:0' },
    logging: { stdout: false, requestLogs: false },
    tracing: { enabled: tracing, collectors: [`127.0.0.1:${sinkPort}`] },
  });
}
const off = await (await buildIdService(idConfig(false))).start();
const onService = await buildIdService(idConfig(true));
const on = await onService.start();

process.stdout.write(
  `${JSON.stringify({
    bareHttp: `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`,
    bareGrpc: `127.0.0.1:${echoPort}`,
    idHttpOff: off.httpUrl,
    idGrpcOff: off.grpcTarget,
    idHttpOn: on.httpUrl,
    idGrpcOn: on.grpcTarget,
  })}\n`,
);

process.on('message', (message) => {
  if (message === 'stats') process.send?.({ tracer: onService.tracer.stats() });
  // CPU time of this process: on a shared machine, server CPU per request is steadier than wall-clock req/s.
  if (message === 'cpu') {
    const usage = process.cpuUsage();
    process.send?.({ cpuMicros: usage.user + usage.system });
  }
});
