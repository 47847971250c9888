/**
 * The `phosphor-collector` daemon: the only module that reads argv/env and listens (besides the
 * re-execution with memory caps it imports first).
 * Flags: --config <file>, --udp-port <n>, --http-port <n>, --storage memory|elasticsearch, --shards auto|<n>,
 * --role all|receiver|assembler, --help, --version.
 */
// First: may re-execute the process with its memory caps (see cli/memory-caps.ts).
import './cli/relaunch-with-memory-caps.js';
import { parseArgs } from 'node:util';
import { buildCollector } from './app.js';
import { COLLECTOR_FLAGS, collectorHelp, collectorVersion } from './cli/usage.js';
import { loadConfig } from './config/load-config.js';
import { CollectorError } from './errors.js';
import { buildShardedCollector } from './shards/sharded-collector.js';

const USAGE = `usage: phosphor-collector [--config <file>] [--udp-port <n>] [--http-port <n>] [--storage memory|elasticsearch] [--shards auto|<n>] [--role all|receiver|assembler] [--help] [--version]`;

/** Exit code when the config or flags are invalid (EX_CONFIG from sysexits.h). */
const EXIT_CONFIG = 78;

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: COLLECTOR_FLAGS,
    }).values;
  } catch (err) {
    throw new CollectorError('COL_ERR_CLI_ARGS', `${(err as Error).message}\n${USAGE}`);
  }
}

function portFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new CollectorError('COL_ERR_CLI_ARGS', `--${name}: must be an integer (got "${value}")`, name);
  return Number(value);
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  if (flags.help) {
    process.stdout.write(collectorHelp());
    return;
  }
  if (flags.version) {
    process.stdout.write(`${collectorVersion()}\n`);
    return;
  }
  const config = loadConfig({
    ...(flags.config !== undefined ? { file: flags.config } : {}),
    env: process.env,
    overrides: {
      'udp.port': portFlag('udp-port', flags['udp-port']),
      'http.port': portFlag('http-port', flags['http-port']),
      'storage.type': flags.storage,
      shards: flags.shards === undefined || !/^\d+$/.test(flags.shards) ? flags.shards : Number(flags.shards),
      role: flags.role,
    },
    overrideLabels: {
      'udp.port': 'flag --udp-port',
      'http.port': 'flag --http-port',
      'storage.type': 'flag --storage',
      shards: 'flag --shards',
      role: 'flag --role',
    },
  });
  // One shard runs today's core on the main thread; more run one core per worker thread.
  const collector = config.shards > 1 ? await buildShardedCollector(config) : await buildCollector(config);
  const addresses = await collector.start();
  collector.logger.info(
    {
      role: config.role,
      udpPort: addresses.udpPort,
      httpUrl: addresses.httpUrl,
      otlpHttpPort: addresses.otlpHttpPort,
      otlpGrpcPort: addresses.otlpGrpcPort,
      storage: collector.store.name,
      shards: config.shards,
    },
    `phosphor collector listening: UDP ${config.udp.host}:${addresses.udpPort}, dashboard and API ${addresses.httpUrl}${
      addresses.otlpHttpPort === undefined ? '' : `, OTLP/HTTP ${config.otlp.http.host}:${addresses.otlpHttpPort}`
    }${addresses.otlpGrpcPort === undefined ? '' : `, OTLP/gRPC ${config.otlp.grpc.host}:${addresses.otlpGrpcPort}`}`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    collector.logger.info({ signal }, 'shutting down: flushing pending spans');
    collector.close().then(
      () => process.exit(0),
      (err: unknown) => {
        collector.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof CollectorError) {
    process.stderr.write(`phosphor-collector: ${err.message}\n`);
    process.exit(err.code.startsWith('COL_ERR_CONFIG') || err.code === 'COL_ERR_CLI_ARGS' ? EXIT_CONFIG : 1);
  }
  process.stderr.write(`phosphor-collector: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
