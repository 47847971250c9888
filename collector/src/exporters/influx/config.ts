/**
 * Config section `influx`.
 * TODO(Elasticsearch/Influx engineer, issue 4): placeholder written by the collector engineer so the
 * collector's config schema can import it; replace with the real schema and type (keep `enabled`).
 */
export const influxConfigSchema = {
  type: 'object',
  properties: { enabled: { type: 'boolean', default: false } },
  default: {},
} as const;

/** Config section `influx` (placeholder, see TODO above). */
export interface InfluxConfig {
  enabled: boolean;
  [key: string]: unknown;
}
