import { readFileSync } from 'node:fs';
import type { Client, estypes } from '@elastic/elasticsearch';

/**
 * The template shipped inside the collector package (configs/elasticsearch/, copied there from the
 * repository's configs/elasticsearch/, the single source of the mapping, by scripts/bundle-assets.mjs).
 */
export const INDEX_TEMPLATE_FILE = new URL('../../../configs/elasticsearch/index-template.json', import.meta.url);

/** The template body for `PUT _index_template/<prefix>`, with the pattern and replicas taken from config. */
export function buildIndexTemplate(indexPrefix: string, replicas: number): estypes.IndicesPutIndexTemplateRequest {
  const raw = JSON.parse(readFileSync(INDEX_TEMPLATE_FILE, 'utf8')) as Record<string, unknown> & {
    template: { settings: Record<string, unknown>; mappings: estypes.MappingTypeMapping };
  };
  const body = raw;
  return {
    ...(body as unknown as Omit<estypes.IndicesPutIndexTemplateRequest, 'name'>),
    name: indexPrefix,
    index_patterns: [`${indexPrefix}-*`],
    template: {
      ...body.template,
      settings: { ...body.template.settings, number_of_replicas: replicas },
    },
  };
}

/** Installs (or replaces) the index template; existing daily indices keep their mapping. */
export async function installIndexTemplate(client: Client, indexPrefix: string, replicas: number): Promise<void> {
  // No client-level retry: the caller retries with its own backoff.
  await client.indices.putIndexTemplate(buildIndexTemplate(indexPrefix, replicas), { maxRetries: 0 });
}
