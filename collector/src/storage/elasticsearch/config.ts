/**
 * Config section `storage.elasticsearch`.
 * TODO(Elasticsearch/Influx engineer, issue 4): placeholder written by the collector engineer so the
 * collector's config schema can import it; replace with the real schema and type.
 */
export const elasticsearchConfigSchema = { type: 'object', default: {} } as const;

/** Config section `storage.elasticsearch` (placeholder, see TODO above). */
export type ElasticsearchConfig = Record<string, unknown>;
