import { readFileSync } from 'node:fs';
import { ENV_OVERRIDES } from '../config/load-config.js';

/** One command-line flag of `phosphor-collector`: what parseArgs needs and what --help says. */
interface CliFlag {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in help for a value flag. */
  value?: string;
  text: string;
}

/** Every flag main.ts accepts; the parser's options and the help text are both derived from it. */
export const COLLECTOR_FLAGS = {
  config: {
    type: 'string',
    short: 'c',
    value: '<file>',
    text: 'YAML config file (default: built-in defaults; see configs/collector.yml)',
  },
  'udp-port': {
    type: 'string',
    value: '<n>',
    text: 'UDP port the tracers send to (udp.port, default 7760; 0 = any free)',
  },
  'http-port': {
    type: 'string',
    value: '<n>',
    text: 'HTTP port of the API and dashboard (http.port, default 7761; 0 = any free)',
  },
  storage: { type: 'string', value: '<type>', text: 'memory | elasticsearch (storage.type, default memory)' },
  shards: {
    type: 'string',
    value: 'auto|<n>',
    text: 'collector cores (shards, default auto = one per core; shard 0 on the main thread, the rest on worker threads)',
  },
  role: {
    type: 'string',
    value: '<role>',
    text: 'all | receiver | assembler (role, default all; receiver/assembler use Kafka, see kafka: in the config)',
  },
  help: { type: 'boolean', short: 'h', text: 'print this help and exit' },
  version: { type: 'boolean', short: 'v', text: 'print the version and exit' },
} as const satisfies Record<string, CliFlag>;

function flagLabel(name: string, flag: CliFlag): string {
  const long = `--${name}${flag.value ? ` ${flag.value}` : ''}`;
  return flag.short ? `-${flag.short}, ${long}` : `    ${long}`;
}

/** Environment variables in help order, with the config key each one sets. */
function envLines(): string[] {
  const width = Math.max(...Object.keys(ENV_OVERRIDES).map((name) => name.length));
  return Object.entries(ENV_OVERRIDES).map(
    ([name, { key, kind }]) =>
      `  ${name.padEnd(width)}  ${key === '' ? 'config file (like --config)' : `${key} (${kind})`}`,
  );
}

/** The collector package's version (from its package.json, which ships beside dist/). */
export function collectorVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The `--help` text: usage, every flag, every environment variable, precedence and exit codes. */
export function collectorHelp(): string {
  const flags = Object.entries(COLLECTOR_FLAGS).map(([name, flag]) => [flagLabel(name, flag), flag.text] as const);
  const width = Math.max(...flags.map(([label]) => label.length));
  return [
    `phosphor-collector ${collectorVersion()} — receives tracer datagrams over UDP, assembles spans and traces, serves the API and dashboard`,
    '',
    'usage: phosphor-collector [--config <file>] [--udp-port <n>] [--http-port <n>] [--storage memory|elasticsearch] [--role all|receiver|assembler]',
    '',
    'flags:',
    ...flags.map(([label, text]) => `  ${label.padEnd(width)}  ${text}`),
    '',
    'environment (override the config file; flags override these):',
    ...envLines(),
    '',
    'Precedence: built-in defaults < config file < environment < flags. Unknown keys, unknown',
    'PHOSPHOR_COLLECTOR_* variables and bad values stop the daemon with a message naming the key.',
    'Exit codes: 0 stopped cleanly (SIGTERM/SIGINT), 1 failure, 78 invalid config or flags.',
    '',
  ].join('\n');
}
