import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ES_BULK_MAX_SPANS,
  DEFAULT_ES_INDEX_PREFIX,
  resolveElasticsearchConfig,
} from '../../../src/storage/elasticsearch/config.js';

describe('resolveElasticsearchConfig', () => {
  it('applies defaults without mutating the input', () => {
    const input = { nodes: ['http://es:9200'] };
    const config = resolveElasticsearchConfig(input);
    expect(config.indexPrefix).toBe(DEFAULT_ES_INDEX_PREFIX);
    expect(config.bulkMaxSpans).toBe(DEFAULT_ES_BULK_MAX_SPANS);
    expect(input).toEqual({ nodes: ['http://es:9200'] });
  });

  it.each([
    [{ bulkMaxSpans: 0 }, 'storage.elasticsearch.bulkMaxSpans'],
    [{ indexPrefix: 'Upper' }, 'storage.elasticsearch.indexPrefix'],
    [{ nodes: ['es:9200'] }, 'storage.elasticsearch.nodes.0'],
    [{ flushIntervalMs: 5 }, 'unknown field "flushIntervalMs"'],
    [{ auth: { username: 'u' } }, 'storage.elasticsearch.auth'],
    [{ retryInitialBackoffMillis: 500, retryMaxBackoffMillis: 100 }, 'storage.elasticsearch.retryMaxBackoffMillis'],
  ])('rejects %j naming the field', (raw, field) => {
    expect(() => resolveElasticsearchConfig(raw)).toThrowError(
      expect.objectContaining({ code: 'COL_ERR_CONFIG_INVALID', message: expect.stringContaining(field) }),
    );
  });
});
