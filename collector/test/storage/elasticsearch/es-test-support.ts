import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client } from '@elastic/elasticsearch';
import pino, { type Logger } from 'pino';
import { type EsTarget, type EsTargetName, requireEsTarget } from '../../../../test/support/elasticsearch-targets.js';
import type { ElasticsearchConfig } from '../../../src/storage/elasticsearch/config.js';
import { createElasticsearchStore, type ElasticsearchStore } from '../../../src/storage/elasticsearch/index.js';

/** A pino logger whose JSON lines are kept in `lines` for assertions. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

/** A store on the real node with its own index prefix and spool dir, and a cleanup that removes both. */
export interface RealStore {
  store: ElasticsearchStore;
  admin: Client;
  prefix: string;
  spoolDir: string;
  lines: Record<string, unknown>[];
  url: string;
  /** The server this store talks to (connection details, admin options). */
  target: EsTarget;
  /** Makes the prefix's indices searchable now. */
  refresh(): Promise<void>;
  cleanup(): Promise<void>;
}

let counter = 0;

/**
 * Opens a store against a real Elasticsearch target (fails loudly when it is not running); on the secured node it
 * connects as a deployed collector does: HTTPS verified against the node's CA, authenticated by the API key.
 */
export async function openRealStore(name: EsTargetName, overrides: ElasticsearchConfig = {}): Promise<RealStore> {
  const target = await requireEsTarget(name);
  const url = target.url;
  const prefix = `phosphor-test-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  const spoolDir = mkdtempSync(join(tmpdir(), 'phosphor-es-spool-'));
  const { logger, lines } = captureLogger();
  const store = createElasticsearchStore(
    {
      ...target.connection,
      indexPrefix: prefix,
      spoolDir,
      flushIntervalMillis: 50,
      retryInitialBackoffMillis: 50,
      retryMaxBackoffMillis: 500,
      retentionCheckIntervalMillis: 0,
      ...overrides,
    },
    logger,
  );
  const admin = new Client(target.adminOptions);
  return {
    store,
    admin,
    prefix,
    spoolDir,
    lines,
    url,
    target,
    async refresh() {
      await admin.indices.refresh({ index: `${prefix}-*`, allow_no_indices: true, ignore_unavailable: true });
    },
    async cleanup() {
      await store.close();
      await admin.indices
        .delete({ index: `${prefix}-*`, allow_no_indices: true, ignore_unavailable: true })
        .catch(() => undefined);
      await admin.indices.deleteIndexTemplate({ name: prefix }).catch(() => undefined);
      await admin.close();
      rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}
