import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load-config.js';
import { CollectorError } from '../errors.js';
import { resolveElasticsearchConfig } from '../storage/elasticsearch/config.js';
import { createElasticsearchClient } from '../storage/elasticsearch/index.js';
import { deleteExpiredIndices, expiredIndices } from '../storage/elasticsearch/retention.js';

const USAGE = `usage: npm run retention -- --config <collector.yml> [--dry-run] [--retention-days N]
Deletes daily span indices (<indexPrefix>-YYYY.MM.DD) older than storage.elasticsearch.retentionDays.`;

/** Where the CLI writes; tests pass their own. */
export interface RetentionIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
}

/**
 * Runs the retention command: reads the collector config (file + PHOSPHOR_COLLECTOR_* env), lists
 * the span indices and deletes the expired ones (or only lists them with --dry-run). Returns the
 * process exit code: 0 done, 1 Elasticsearch failed, 2 bad arguments or config.
 */
export async function retentionMain(argv: string[], io: RetentionIo): Promise<number> {
  let args: { config?: string; 'dry-run'?: boolean; 'retention-days'?: string; help?: boolean };
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'retention-days': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (err) {
    io.err(`COL_ERR_CLI_ARGS: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  let es: ReturnType<typeof resolveElasticsearchConfig>;
  try {
    const config = loadConfig({ ...(args.config ? { file: args.config } : {}), env: io.env });
    const raw: Record<string, unknown> = { ...(config.storage.elasticsearch as object) };
    if (args['retention-days'] !== undefined) {
      const days = Number(args['retention-days']);
      if (!Number.isInteger(days) || days < 1) {
        throw new CollectorError(
          'COL_ERR_CLI_ARGS',
          `--retention-days: expected a positive integer, got "${args['retention-days']}"`,
          '--retention-days',
        );
      }
      raw.retentionDays = days;
    }
    es = resolveElasticsearchConfig(raw);
  } catch (err) {
    io.err(err instanceof Error ? err.message : String(err));
    return 2;
  }
  const client = createElasticsearchClient(es);
  try {
    if (args['dry-run']) {
      const rows = await client.cat.indices({
        index: `${es.indexPrefix}-*`,
        h: 'index',
        format: 'json',
        expand_wildcards: 'all',
      });
      const names = rows.map((r) => r.index).filter((n): n is string => typeof n === 'string');
      for (const name of expiredIndices(names, es.indexPrefix, es.retentionDays, Date.now()))
        io.out(`would delete ${name}`);
      return 0;
    }
    const deleted = await deleteExpiredIndices(client, es.indexPrefix, es.retentionDays);
    for (const name of deleted) io.out(`deleted ${name}`);
    io.out(`${deleted.length} index(es) older than ${es.retentionDays} days deleted under ${es.indexPrefix}-*`);
    return 0;
  } catch (err) {
    io.err(`COL_ERR_ES_RETENTION: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await client.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await retentionMain(process.argv.slice(2), {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    env: process.env,
  });
  process.exitCode = code;
}
