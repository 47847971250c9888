/**
 * `npm start -w services/demo [-- --config-file configs/demo.yml]`: the only demo file reading argv/env.
 * Env: DEMO_CONFIG_FILE (config path), DEMO_COLLECTORS (comma-separated host:port, overrides the file).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startFailureLine } from '@phosphor/service-kit';
import { parse as parseYaml } from 'yaml';
import { startDemo } from './demo.js';
import { resolveDemoConfig } from './demo-config.js';
import { DemoError } from './errors.js';

const DEFAULT_CONFIG = fileURLToPath(new URL('../../../configs/demo.yml', import.meta.url));

const USAGE = `usage: demo [--config-file <path>] [--help]

  --config-file <path>  YAML config (default: DEMO_CONFIG_FILE, else configs/demo.yml)

environment:
  DEMO_CONFIG_FILE      config path when --config-file is not given
  DEMO_COLLECTORS       Phosphor collectors, comma-separated host:port (overrides the file)
`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'config-file': { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const given = values['config-file'] ?? process.env.DEMO_CONFIG_FILE;
  // `npm start -w …` runs in the workspace folder; INIT_CWD is where the user typed the command.
  const path = given ? resolve(process.env.INIT_CWD ?? process.cwd(), given) : DEFAULT_CONFIG;
  let raw: Record<string, Record<string, unknown>>;
  try {
    raw = (parseYaml(await readFile(path, 'utf8')) ?? {}) as Record<string, Record<string, unknown>>;
  } catch (error) {
    // Unreadable file or malformed YAML: same code and file name as every other config problem.
    throw new DemoError('DEMO_ERR_CONFIG_INVALID', `cannot read ${path}: ${(error as Error).message}`);
  }
  if (process.env.DEMO_COLLECTORS) {
    raw.tracing ??= {};
    raw.tracing.collectors = process.env.DEMO_COLLECTORS.split(',').map((s) => s.trim());
  }
  // Validated here so errors name the file rather than "startDemo options".
  const demo = await startDemo(
    resolveDemoConfig(raw, `${path}${process.env.DEMO_COLLECTORS ? ' (+ DEMO_COLLECTORS)' : ''}`),
  );
  process.stderr.write(
    `demo: gateway ${demo.urls.gateway}, quote ${demo.urls.quoteHttp} / ${demo.urls.quoteGrpc}, ` +
      `id-generator ${demo.urls.idHttp} / ${demo.urls.idGrpc}; traffic ${demo.config.traffic.enabled ? `${demo.config.traffic.ratePerSecond}/s` : 'off'}\n`,
  );
  const report = setInterval(
    () => process.stderr.write(`demo traffic: ${JSON.stringify(demo.traffic.stats())}\n`),
    30_000,
  );
  report.unref();
  const stop = () => {
    void demo.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(startFailureLine('demo', error));
  process.exit(1);
});
