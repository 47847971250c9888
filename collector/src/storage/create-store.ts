import type { Logger } from 'pino';
import type { CollectorConfig } from '../config/config.js';
import { CollectorError } from '../errors.js';
import type { ElasticsearchConfig } from './elasticsearch/config.js';
import { MemoryStore } from './memory/memory-store.js';
import type { SpanStore } from './span-store.js';

/** What `./elasticsearch/index.js` must export. */
export interface ElasticsearchStoreModule {
  createElasticsearchStore(config: ElasticsearchConfig, logger: Logger): SpanStore | Promise<SpanStore>;
}

/** Every `storage.type`: the unselected ones show as Deactivated in /health. */
export const STORE_TYPES = ['memory', 'elasticsearch'] as const;

/**
 * Creates the configured span store. The Elasticsearch module is imported only when selected,
 * so the embedded default never loads the ES client.
 */
export async function createStore(config: CollectorConfig, logger: Logger): Promise<SpanStore> {
  switch (config.storage.type) {
    case 'memory':
      return new MemoryStore(config.storage.memory);
    case 'elasticsearch': {
      const module: ElasticsearchStoreModule = await import('./elasticsearch/index.js');
      return module.createElasticsearchStore(
        config.storage.elasticsearch,
        logger.child({ component: 'elasticsearch' }),
      );
    }
    default:
      throw new CollectorError(
        'COL_ERR_STORAGE_UNKNOWN_TYPE',
        `storage.type: unknown store "${String((config.storage as { type: unknown }).type)}"`,
        'storage.type',
      );
  }
}
