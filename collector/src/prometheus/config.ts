import { DEFAULT_MAX_SPAN_DURATION_SERIES, DEFAULT_SPAN_DURATION_BUCKETS_SECONDS } from './span-duration-histograms.js';

/** JSON schema of the `metrics` section (Prometheus `/metrics`). */
export const spanDurationHistogramsConfigSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    spanDurationBucketsSeconds: {
      type: 'array',
      items: { type: 'number', exclusiveMinimum: 0 },
      minItems: 1,
      // Each bucket is one series per (service, endpoint): keep the product bounded.
      maxItems: 40,
      uniqueItems: true,
      default: [...DEFAULT_SPAN_DURATION_BUCKETS_SECONDS],
    },
    maxSpanDurationSeries: { type: 'integer', minimum: 1, maximum: 100_000, default: DEFAULT_MAX_SPAN_DURATION_SERIES },
  },
} as const;
