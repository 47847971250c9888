import { MAX_ID_LENGTH, MAX_NAME_LENGTH, MAX_TEXT_LENGTH } from '@phosphor/wire';
import type { FastifyInstance } from 'fastify';
import { CollectorError } from '../../errors.js';
import type { TraceQuery } from '../../model/span.js';
import { canonicalTraceId, traceIdToOtel } from '../../otlp/otlp-trace-id.js';
import type { ApiDeps } from '../api-deps.js';

/** Most results one search returns; bounds response size and store work. */
export const MAX_SEARCH_LIMIT = 1000;
/** Results when `limit` is not given: a screenful. */
export const DEFAULT_SEARCH_LIMIT = 20;
/** Most `tag` filters in one search. */
const MAX_TAG_FILTERS = 16;

const name = { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH } as const;
const micros = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

interface SearchQuerystring {
  service?: string;
  endpoint?: string;
  minDurationMicros?: number;
  maxDurationMicros?: number;
  error?: boolean;
  tag?: string[];
  since?: number;
  until?: number;
  limit: number;
}

/** GET /api/traces/:traceId and GET /api/traces. */
export function registerTraceRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Params: { traceId: string } }>(
    '/api/traces/:traceId',
    {
      schema: {
        params: {
          type: 'object',
          properties: {
            traceId: { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH, pattern: '^[0-9A-Za-z_-]+$' },
          },
          required: ['traceId'],
        },
        querystring: { type: 'object', additionalProperties: false, properties: {} },
      },
    },
    async (request) => {
      // Decimal Phosphor ids and 32-hex OpenTelemetry ids both name a trace (docs/otel.md).
      const traceId = canonicalTraceId(request.params.traceId);
      const trace = await deps.traces.getTrace(traceId);
      if (!trace) throw new CollectorError('COL_ERR_API_TRACE_NOT_FOUND', `no trace with id ${traceId}`, 'traceId');
      return { ...trace, otelTraceId: traceIdToOtel(traceId) };
    },
  );

  app.get<{ Querystring: SearchQuerystring }>(
    '/api/traces',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            service: name,
            endpoint: name,
            minDurationMicros: micros,
            maxDurationMicros: micros,
            error: { type: 'boolean' },
            tag: {
              type: 'array',
              maxItems: MAX_TAG_FILTERS,
              items: {
                type: 'string',
                minLength: 2,
                maxLength: MAX_NAME_LENGTH + 1 + MAX_TEXT_LENGTH,
                pattern: '^[^:]+:',
              },
            },
            since: micros,
            until: micros,
            limit: { type: 'integer', minimum: 1, maximum: MAX_SEARCH_LIMIT, default: DEFAULT_SEARCH_LIMIT },
          },
        },
      },
    },
    async (request) => {
      const q = request.query;
      const query: TraceQuery = { limit: q.limit };
      if (q.service !== undefined) query.service = q.service;
      if (q.endpoint !== undefined) query.endpoint = q.endpoint;
      if (q.minDurationMicros !== undefined) query.minDurationMicros = q.minDurationMicros;
      if (q.maxDurationMicros !== undefined) query.maxDurationMicros = q.maxDurationMicros;
      if (q.error !== undefined) query.error = q.error;
      if (q.since !== undefined) query.sinceMicros = q.since;
      if (q.until !== undefined) query.untilMicros = q.until;
      if (q.tag && q.tag.length > 0) {
        query.tags = {};
        for (const pair of q.tag) {
          const colon = pair.indexOf(':');
          query.tags[pair.slice(0, colon)] = pair.slice(colon + 1);
        }
      }
      if (
        query.minDurationMicros !== undefined &&
        query.maxDurationMicros !== undefined &&
        query.minDurationMicros > query.maxDurationMicros
      ) {
        throw new CollectorError(
          'COL_ERR_API_BAD_PARAM',
          'minDurationMicros: greater than maxDurationMicros',
          'minDurationMicros',
        );
      }
      if (query.sinceMicros !== undefined && query.untilMicros !== undefined && query.sinceMicros > query.untilMicros) {
        throw new CollectorError('COL_ERR_API_BAD_PARAM', 'since: later than until', 'since');
      }
      return { traces: await deps.traces.findTraces(query) };
    },
  );
}
