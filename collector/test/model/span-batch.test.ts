import { describe, expect, it } from 'vitest';
import type { Span } from '../../src/model/span.js';
import { RETAINED_ENTRIES, SpanBatch, TEXT_STRIDE } from '../../src/model/span-batch.js';
import { IdBytesColumn } from '../../src/util/id-bytes-column.js';

const raw = { REQ: 1_000, IN: 1_040, OUT: 1_240, REP: 1_300 };

/** A span with every field set, its times skew-adjusted (so `events` is not `rawEvents`). */
function fullSpan(traceId: string, spanId: string): Span {
  return {
    traceId,
    spanId,
    parentSpanId: 'p000000000000001',
    from: 'front',
    fromEndpoint: 'GET /',
    to: 'ids',
    toEndpoint: 'NextID',
    clientHost: 'web-1',
    clientZone: 'zone-a',
    serverHost: 'ids-1',
    serverZone: 'zone-b',
    events: { REQ: 1_000, IN: 1_050, OUT: 1_250, REP: 1_300 },
    rawEvents: raw,
    skewMicros: 10,
    skewCorrected: true,
    missing: [],
    clientDurationMicros: 300,
    serverDurationMicros: 200,
    startMicros: 1_000,
    durationMicros: 300,
    errorCode: 'UNAVAILABLE',
    errorDescription: 'down',
    tags: { region: 'eu' },
    persistent: false,
    lateEvents: 2,
  };
}

/** A partial span with the optional fields absent and the raw times shared as its adjusted ones. */
function sparseSpan(traceId: string, spanId: string): Span {
  const times = { IN: 5_000, OUT: 5_100 };
  return {
    traceId,
    spanId,
    parentSpanId: undefined,
    from: '',
    fromEndpoint: '',
    to: 'ids',
    toEndpoint: 'NextID',
    clientHost: undefined,
    clientZone: undefined,
    serverHost: 'ids-1',
    serverZone: undefined,
    events: times,
    rawEvents: times,
    skewMicros: 0,
    skewCorrected: false,
    missing: ['REQ', 'REP'],
    clientDurationMicros: undefined,
    serverDurationMicros: 100,
    startMicros: 5_000,
    durationMicros: 100,
    errorCode: undefined,
    errorDescription: undefined,
    tags: {},
    persistent: undefined,
    lateEvents: undefined,
  };
}

describe('SpanBatch', () => {
  it('gives back each span pushed, field for field and in the same key order', () => {
    const batch = new SpanBatch();
    const spans = [
      fullSpan('1308677380302176256', 'a1b2c3d4e5f60718'),
      sparseSpan('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7'),
      // Ids that are not Latin-1 bytes, and ids longer than any inline room.
      fullSpan('trace-☃-1', 'span-✓'),
      sparseSpan(`t-${'x'.repeat(80)}`, `s-${'y'.repeat(40)}`),
    ];
    for (const span of spans) batch.push(span);
    expect(batch.length).toBe(4);
    expect(batch.hasIdBytes(0)).toBe(true);
    expect(batch.hasIdBytes(2)).toBe(false);
    spans.forEach((span, i) => {
      const back = batch.span(i);
      expect(back).toEqual(span);
      expect(JSON.stringify(back)).toBe(JSON.stringify(span));
      expect(batch.traceId(i)).toBe(span.traceId);
      expect(batch.spanId(i)).toBe(span.spanId);
    });
    // Shared raw times stay shared; adjusted ones stay apart.
    const shared = batch.span(1);
    expect(shared.events).toBe(shared.rawEvents);
    const adjusted = batch.span(0);
    expect(adjusted.events).not.toBe(adjusted.rawEvents);
  });

  it('makes the Span objects once per batch content, and forgets them when the batch changes', () => {
    const batch = new SpanBatch();
    batch.push(fullSpan('1', 'a'));
    const first = batch.spans();
    expect(batch.spans()).toBe(first);
    batch.push(sparseSpan('2', 'b'));
    const second = batch.spans();
    expect(second).not.toBe(first);
    expect(second.map((s) => s.traceId)).toEqual(['1', '2']);
    batch.clear();
    expect(batch.length).toBe(0);
    expect(batch.spans()).toEqual([]);
  });

  it('reused after clear, holds only what was pushed since (no field of an earlier entry leaks)', () => {
    const batch = new SpanBatch();
    for (let i = 0; i < 100; i++) batch.push(fullSpan(`trace-☃-${i}`, `s${i}`));
    batch.clear();
    const again = sparseSpan('1308677380302176257', 'b1b2c3d4e5f60718');
    batch.push(again);
    expect(batch.spans()).toEqual([again]);
    expect(batch.hasIdBytes(0)).toBe(true);
  });

  it('when cleared after a large batch, lets go of the strings, tags and missing lists past its first entries', () => {
    const batch = new SpanBatch();
    const spans = Array.from({ length: 1000 }, (_, i) =>
      i % 2 === 0 ? fullSpan(`t${i}`, `s${i}`) : sparseSpan(`t${i}`, `s${i}`),
    );
    for (const span of spans) batch.push(span);
    batch.clear();
    // The first entries are kept until the next batches overwrite them (a bounded few).
    const from = RETAINED_ENTRIES;
    expect(batch.text.slice(from * TEXT_STRIDE, spans.length * TEXT_STRIDE).every((value) => value === undefined)).toBe(
      true,
    );
    const held = new Set<unknown>(spans.flatMap((span) => [span.tags, span.missing]));
    expect(batch.tags.slice(from, spans.length).some((tags) => held.has(tags))).toBe(false);
    expect(batch.missing.slice(from, spans.length).some((missing) => held.has(missing))).toBe(false);
  });

  it('grows past its first capacity, ids and all', () => {
    const batch = new SpanBatch();
    const spans = Array.from({ length: 300 }, (_, i) => fullSpan(`${1e18 + i * 7919}`, `span-${i}`.padEnd(16, '0')));
    for (const span of spans) batch.push(span);
    expect(batch.spans()).toEqual(spans);
  });

  it('takes a parent id from an id column as bytes, or as its string when the column keeps one, or none', () => {
    const engineParents = new IdBytesColumn(16, 4);
    engineParents.set(0, 'a1b2c3d4e5f60718');
    engineParents.set(1, 'a-parent-id-longer-than-sixteen');
    engineParents.set(2, 'p☃');
    const batch = new SpanBatch();
    const expected: (string | undefined)[] = ['a1b2c3d4e5f60718', 'a-parent-id-longer-than-sixteen', 'p☃', undefined];
    for (let cell = 0; cell < 4; cell++) {
      const i = batch.push(sparseSpan(`${1e18 + cell}`, `s${cell}`));
      // An entry filled by the engine: its parent comes from the column (cell 3 holds none; -1 is none too).
      batch.setParentIdFrom(i, engineParents, cell === 3 ? -1 : cell);
    }
    const stored = new IdBytesColumn(16, 4);
    for (let i = 0; i < 4; i++) {
      expect(batch.parentId(i)).toBe(expected[i]);
      expect(batch.spans()[i]?.parentSpanId).toBe(expected[i]);
      stored.set(i, 'stale');
      batch.copyParentIdTo(i, stored, i);
      expect(stored.get(i)).toBe(expected[i]);
    }
    expect(engineParents.inlineLength(0)).toBe(16);
    expect(engineParents.inlineLength(1)).toBe(-2);
    expect(engineParents.inlineLength(3)).toBe(-1);
    expect(engineParents.has(3)).toBe(false);
  });
});
