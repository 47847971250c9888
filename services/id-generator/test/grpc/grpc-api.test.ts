import { type Metadata, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIdService, type IdService } from '../../src/app.js';
import { resolveIdServiceConfig } from '../../src/config/id-service-config.js';
import { createIdGeneratorClient, type IdGeneratorClient } from '../../src/grpc/grpc-client.js';
import { decodeId } from '../../src/ids/flaki-layout.js';
import { grpcIdBatchFetcher, httpIdBatchFetcher } from '../../src/tracing/id-batch-fetcher.js';

let service: IdService;
let client: IdGeneratorClient;
let httpUrl: string;
let grpcTarget: string;

beforeAll(async () => {
  service = await buildIdService(
    resolveIdServiceConfig({
      service: { httpHostPort: '127.0.0.1:0', grpcHostPort: '127.0.0.1:0' },
      ids: { nodeId: 1, componentId: 7, maxBatchCount: 100 },
      logging: { stdout: false },
      tracing: { enabled: false },
    }),
  );
  ({ httpUrl, grpcTarget } = await service.start());
  client = createIdGeneratorClient(grpcTarget);
});

afterAll(async () => {
  client.close();
  await service.close();
});

async function grpcError(promise: Promise<unknown>): Promise<{ code: number; details: string; metadata: Metadata }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: number; details: string; metadata: Metadata };
  }
  throw new Error('expected a gRPC error');
}

describe('gRPC API on port 0', () => {
  it('NextID and NextValidID return decimal id strings; a fresh correlation id comes back in trailers', async () => {
    const a = await client.nextId();
    const b = await client.nextValidId();
    expect(decodeId(a.value)).toMatchObject({ nodeId: 1, componentId: 7 });
    expect(BigInt(b.value) > BigInt(a.value)).toBe(true);
    expect(a.correlationId).toMatch(/^[0-9]+$/);
  });

  it('echoes the caller correlation_id in trailing metadata', async () => {
    const result = await client.nextId({ correlationId: 'grpc-corr-1' });
    expect(result.correlationId).toBe('grpc-corr-1');
  });

  it('NextIDs returns count distinct ids; out-of-range count is INVALID_ARGUMENT naming the field', async () => {
    const { value } = await client.nextIds(100);
    expect(new Set(value).size).toBe(100);
    for (const count of [0, 101]) {
      const error = await grpcError(client.nextIds(count, { correlationId: 'bad-count' }));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toMatch(/IDG_ERR_INPUT_INVALID: count must be an integer from 1 to 100/);
      expect(error.metadata.get('correlation_id')[0]).toBe('bad-count');
    }
  });

  it('Decode round-trips; a malformed id is INVALID_ARGUMENT', async () => {
    const { value } = await client.nextId();
    const decoded = await client.decode(value);
    expect(decoded.value).toEqual(decodeId(value));
    const error = await grpcError(client.decode('12x'));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(/id must be a decimal string/);
  });

  it('a malformed correlation_id metadata value is INVALID_ARGUMENT', async () => {
    const error = await grpcError(client.nextId({ correlationId: 'has space' }));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(/metadata correlation_id must be/);
  });

  it('the tracer batch fetchers get ids over HTTP and gRPC', async () => {
    const overHttp = await httpIdBatchFetcher(httpUrl)(20);
    const grpcFetch = grpcIdBatchFetcher(grpcTarget);
    const overGrpc = await grpcFetch(30);
    grpcFetch.close();
    expect(overHttp).toHaveLength(20);
    expect(overGrpc).toHaveLength(30);
    expect(new Set([...overHttp, ...overGrpc]).size).toBe(50);
    await expect(httpIdBatchFetcher(httpUrl)(1000)).rejects.toThrow(/HTTP 400/);
  });
});
