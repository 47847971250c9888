import { describe, expect, it } from 'vitest';
import { isDecimalTraceId, LocalIdSource, newSpanId, PooledIdSource, TracerError } from '../src/index.js';

describe('ids', () => {
  it('local trace ids are distinct positive decimal 64-bit ids', () => {
    const source = new LocalIdSource();
    const ids = Array.from({ length: 2000 }, () => source.nextTraceId());
    expect(new Set(ids).size).toBe(2000);
    for (const id of ids) expect(isDecimalTraceId(id)).toBe(true);
    expect(ids.every((id) => BigInt(id) < 1n << 63n)).toBe(true);
  });

  it('span ids are 16 lowercase hex chars, never all zeros', () => {
    const ids = Array.from({ length: 2000 }, newSpanId);
    expect(new Set(ids).size).toBe(2000);
    for (const id of ids) expect(id).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
  });

  it.each([
    ['1', true],
    ['18446744073709551615', true],
    ['18446744073709551616', false],
    ['0', false],
    ['01', false],
    ['12a', false],
  ])('isDecimalTraceId(%s) is %s', (id, expected) => {
    expect(isDecimalTraceId(id)).toBe(expected);
  });
});

describe('PooledIdSource', () => {
  it('hands out fetched ids and refills in the background below the low-water mark', async () => {
    let next = 1000n;
    const requests: number[] = [];
    const source = new PooledIdSource({
      batchSize: 10,
      lowWaterMark: 3,
      fetchBatch: async (count) => {
        requests.push(count);
        return Array.from({ length: count }, () => String(next++));
      },
    });
    await source.idle();
    // The 8th call finds 3 ids left (<= lowWaterMark) and starts a refill of 10.
    const first = Array.from({ length: 8 }, () => source.nextTraceId());
    expect(first).toEqual(['1000', '1001', '1002', '1003', '1004', '1005', '1006', '1007']);
    await source.idle();
    expect(source.stats().pooled).toBe(12);
    const rest = Array.from({ length: 12 }, () => source.nextTraceId());
    expect(new Set([...first, ...rest]).size).toBe(20);
    expect(source.stats()).toMatchObject({ fallbacks: 0, fetchErrors: 0, issued: 20 });
    expect(requests.every((count) => count === 10)).toBe(true);
  });

  it('falls back without waiting while the pool is empty, and counts it', async () => {
    let release: (ids: string[]) => void = () => {};
    const source = new PooledIdSource({
      batchSize: 5,
      fetchBatch: () => new Promise((resolve) => (release = resolve)),
    });
    const id = source.nextTraceId();
    expect(isDecimalTraceId(id)).toBe(true);
    expect(source.stats().fallbacks).toBe(1);
    release(['11', '12', '13', '14', '15']);
    await source.idle();
    expect(source.nextTraceId()).toBe('11');
  });

  it('counts a failing fetch and waits retryDelayMillis before the next attempt', async () => {
    let calls = 0;
    const source = new PooledIdSource({
      retryDelayMillis: 60_000,
      fetchBatch: async () => {
        calls++;
        throw new Error('id service down');
      },
    });
    await source.idle();
    source.nextTraceId();
    source.nextTraceId();
    await source.idle();
    expect(calls).toBe(1);
    expect(source.stats()).toMatchObject({ fetchErrors: 1, fallbacks: 2 });
    expect(source.stats().lastProblem).toMatchObject({ code: 'TRC_ERR_IDS_FETCH_FAILED' });
    expect(source.stats().lastProblem?.message).toContain('id service down');
  });

  it('skips ids that are not decimal 64-bit ids', async () => {
    const source = new PooledIdSource({
      fetchBatch: async () => ['42', 'not-an-id', '-1', '43'] as string[],
    });
    await source.idle();
    expect(source.stats()).toMatchObject({ pooled: 2, invalidIds: 2 });
  });

  it.each([
    ['fetchBatch', { fetchBatch: undefined }],
    ['batchSize', { batchSize: 0 }],
    ['lowWaterMark', { lowWaterMark: -1 }],
  ])('rejects a bad %s', (field, options) => {
    const attempt = () => new PooledIdSource({ fetchBatch: async () => [], ...options } as never);
    expect(attempt).toThrow(TracerError);
    expect(attempt).toThrow(`${field}:`);
  });
});
