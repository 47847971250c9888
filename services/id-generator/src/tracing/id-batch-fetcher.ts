/**
 * `fetchBatch(count)` functions for the tracer's PooledIdSource, so every traced service gets its
 * trace ids from the ID service. They deliberately use plain fetch / an uninstrumented gRPC client:
 * the id pool must never trace itself. Replies are validated (count and decimal shape).
 */
import { PooledIdSource } from '@phosphor/tracer';
import { IdServiceError } from '../errors.js';
import { createIdGeneratorClient, type IdGeneratorClient } from '../grpc/grpc-client.js';

/** Default deadline of one batch fetch: the pool falls back to local ids meanwhile, so no need to wait long. */
export const DEFAULT_FETCH_TIMEOUT_MILLIS = 2_000;

const DECIMAL_ID = /^[0-9]{1,20}$/;

function checkIds(ids: unknown, count: number, source: string): string[] {
  if (
    !Array.isArray(ids) ||
    ids.length !== count ||
    !ids.every((id) => typeof id === 'string' && DECIMAL_ID.test(id))
  ) {
    throw new IdServiceError(
      'IDG_ERR_UPSTREAM_FAILED',
      `${source}: reply field ids must be ${count} decimal id strings`,
    );
  }
  return ids as string[];
}

/** Fetches batches over HTTP: `POST <baseUrl>/ids {"count":n}`. */
export function httpIdBatchFetcher(
  baseUrl: string,
  options: { timeoutMillis?: number; fetch?: typeof fetch } = {},
): (count: number) => Promise<string[]> {
  const url = new URL('/ids', baseUrl).toString();
  const doFetch = options.fetch ?? fetch;
  const timeoutMillis = options.timeoutMillis ?? DEFAULT_FETCH_TIMEOUT_MILLIS;
  return async (count) => {
    const response = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count }),
      signal: AbortSignal.timeout(timeoutMillis),
    });
    if (!response.ok) {
      throw new IdServiceError(
        'IDG_ERR_UPSTREAM_FAILED',
        `${url} answered HTTP ${response.status}: ${await response.text()}`,
      );
    }
    const body = (await response.json()) as { ids?: unknown };
    return checkIds(body?.ids, count, url);
  };
}

/** Fetches batches over gRPC (NextIDs) with an uninstrumented client; `close()` releases the channel. */
export function grpcIdBatchFetcher(
  target: string,
  options: { timeoutMillis?: number } = {},
): ((count: number) => Promise<string[]>) & { close(): void } {
  const client: IdGeneratorClient = createIdGeneratorClient(target);
  const timeoutMillis = options.timeoutMillis ?? DEFAULT_FETCH_TIMEOUT_MILLIS;
  const fetchBatch = async (count: number) => {
    const { value } = await client.nextIds(count, { valid: true, timeoutMillis });
    return checkIds(value, count, `grpc ${target}`);
  };
  return Object.assign(fetchBatch, { close: () => client.close() });
}

/** Options of {@link createRemoteIdSource}. */
export interface RemoteIdSourceOptions {
  /** ID service HTTP base URL (e.g. http://127.0.0.1:8888); used when `grpcTarget` is absent. */
  httpUrl?: string;
  /** ID service gRPC target host:port; preferred when given. */
  grpcTarget?: string;
  /** Ids per fetch (default: the tracer's default). */
  batchSize?: number;
  timeoutMillis?: number;
}

/**
 * A tracer `IdSource` drawing trace ids from the ID service in batches (PooledIdSource), falling back
 * to local ids when the service is unreachable. Call `close()` on the result when done (gRPC channel).
 */
export function createRemoteIdSource(options: RemoteIdSourceOptions): PooledIdSource & { close(): void } {
  let fetchBatch: (count: number) => Promise<string[]>;
  let close = () => {};
  if (options.grpcTarget) {
    const grpcFetcher = grpcIdBatchFetcher(options.grpcTarget, { timeoutMillis: options.timeoutMillis });
    fetchBatch = grpcFetcher;
    close = () => grpcFetcher.close();
  } else if (options.httpUrl) {
    fetchBatch = httpIdBatchFetcher(options.httpUrl, { timeoutMillis: options.timeoutMillis });
  } else {
    throw new IdServiceError('IDG_ERR_CONFIG_INVALID', 'createRemoteIdSource needs httpUrl or grpcTarget');
  }
  const pool = new PooledIdSource({ fetchBatch, ...(options.batchSize ? { batchSize: options.batchSize } : {}) });
  return Object.assign(pool, { close });
}
