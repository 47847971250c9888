/**
 * `npm start -w services/id-generator [-- --config-file <path>]`: the only file that reads argv/env and
 * listens. Config path: --config-file, else IDGEN_CONFIG_FILE, else configs/id-generator.yml at the repo
 * root. Environment overrides (validated like the file): IDGEN_REDIS_URL, IDGEN_INFLUX_URL,
 * IDGEN_HTTP_HOST_PORT, IDGEN_GRPC_HOST_PORT, IDGEN_COLLECTORS (comma-separated).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startFailureLine } from '@phosphor/service-kit';
import { parse as parseYaml } from 'yaml';
import { buildIdService } from './app.js';
import { resolveIdServiceConfig } from './config/id-service-config.js';
import { IdServiceError } from './errors.js';
import { routeGrpcJsLogs } from './grpc/grpc-js-logs.js';

const DEFAULT_CONFIG = fileURLToPath(new URL('../../../configs/id-generator.yml', import.meta.url));

const USAGE = `usage: id-generator [--config-file <path>] [--help]

  --config-file <path>  YAML config (default: IDGEN_CONFIG_FILE, else configs/id-generator.yml)

environment (validated like the file; they override it):
  IDGEN_CONFIG_FILE     config path when --config-file is not given
  IDGEN_HTTP_HOST_PORT  HTTP API host:port (service.httpHostPort)
  IDGEN_GRPC_HOST_PORT  gRPC API host:port (service.grpcHostPort)
  IDGEN_REDIS_URL       Redis for request logs and id leases (redis.url)
  IDGEN_INFLUX_URL      InfluxDB write API for metrics (influx.url)
  IDGEN_COLLECTORS      Phosphor collectors, comma-separated host:port (tracing.collectors)
`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'config-file': { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const given = values['config-file'] ?? process.env.IDGEN_CONFIG_FILE;
  // `npm start -w …` runs in the workspace folder; INIT_CWD is where the user typed the command.
  const path = given ? resolve(process.env.INIT_CWD ?? process.cwd(), given) : DEFAULT_CONFIG;
  let raw: Record<string, Record<string, unknown>>;
  try {
    raw = (parseYaml(await readFile(path, 'utf8')) ?? {}) as Record<string, Record<string, unknown>>;
  } catch (error) {
    // Unreadable file or malformed YAML: same code and file name as every other config problem.
    throw new IdServiceError('IDG_ERR_CONFIG_INVALID', `cannot read ${path}: ${(error as Error).message}`);
  }
  const section = (name: string) => {
    raw[name] ??= {};
    return raw[name]!;
  };
  const env = process.env;
  if (env.IDGEN_REDIS_URL) section('redis').url = env.IDGEN_REDIS_URL;
  if (env.IDGEN_INFLUX_URL) section('influx').url = env.IDGEN_INFLUX_URL;
  if (env.IDGEN_HTTP_HOST_PORT) section('service').httpHostPort = env.IDGEN_HTTP_HOST_PORT;
  if (env.IDGEN_GRPC_HOST_PORT) section('service').grpcHostPort = env.IDGEN_GRPC_HOST_PORT;
  if (env.IDGEN_COLLECTORS) section('tracing').collectors = env.IDGEN_COLLECTORS.split(',').map((s) => s.trim());
  const config = resolveIdServiceConfig(raw, `${path} (+ IDGEN_* environment)`);
  const service = await buildIdService(config);
  routeGrpcJsLogs(service.logger);
  const addresses = await service.start();
  process.stderr.write(`id-generator: HTTP ${addresses.httpUrl}, gRPC ${addresses.grpcTarget}\n`);
  const stop = () => {
    void service.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(startFailureLine('id-generator', error));
  process.exit(1);
});
