import { describe, expect, it } from 'vitest';
import {
  documentId,
  fromDocument,
  indexNameFor,
  toDocument,
} from '../../../src/storage/elasticsearch/span-document.js';
import { makeSpan } from './span-fixtures.js';

describe('span document', () => {
  it('round-trips every field of a full span', () => {
    const span = makeSpan({
      parentSpanId: 'abcdef0123456789',
      errorCode: 'E1',
      errorDescription: 'boom',
      persistent: true,
      lateEvents: 2,
    });
    expect(fromDocument(JSON.parse(JSON.stringify(toDocument(span))))).toEqual(span);
  });

  it('round-trips a minimal span (root, missing events, no hosts, no tags)', () => {
    const span = makeSpan({
      tags: {},
      missing: ['IN', 'OUT'],
      events: { REQ: 5, REP: 9 },
      rawEvents: { REQ: 5, REP: 9 },
    });
    delete span.clientHost;
    delete span.clientZone;
    delete span.serverHost;
    delete span.serverZone;
    delete span.serverDurationMicros;
    expect(fromDocument(JSON.parse(JSON.stringify(toDocument(span))))).toEqual(span);
  });

  it('uses ECS names and turns dotted tag keys into underscore labels, keeping the originals', () => {
    const span = makeSpan({ errorCode: 'UNAVAILABLE', tags: { 'http.method': 'GET', correlation_id: 'c-9' } });
    const doc = toDocument(span);
    expect(doc.trace.id).toBe(span.traceId);
    expect(doc.service.name).toBe('id-generator');
    expect(doc.host?.name).toBe('host-b');
    expect(doc.event.outcome).toBe('failure');
    expect(doc.labels).toEqual({ http_method: 'GET', correlation_id: 'c-9' });
    expect(doc.phosphor.tags).toEqual(span.tags);
    expect(toDocument(makeSpan({ tags: { plain: 'x' } })).phosphor.tags).toBeUndefined();
    expect(doc['@timestamp']).toBe('2025-03-04T05:06:07.000Z');
    expect(doc.phosphor.end.us).toBe(span.startMicros + span.durationMicros);
  });

  it('names daily indices by the UTC day of the span start, and ids by trace and span', () => {
    expect(indexNameFor('p', Date.UTC(2024, 11, 31, 23, 59, 59, 999) * 1000)).toBe('p-2024.12.31');
    expect(indexNameFor('p', Date.UTC(2025, 0, 1) * 1000)).toBe('p-2025.01.01');
    expect(documentId({ traceId: '42', spanId: 'ab' })).toBe('42-ab');
  });
});
