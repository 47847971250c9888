import { describe, expect, it } from 'vitest';
import type { EventType } from '../../src/api/types.js';
import { missingMask, spanCompleteness } from '../../src/model/span-completeness.js';

const root = (missing: EventType[]) => ({ missing });
const child = (missing: EventType[]) => ({ missing, parentSpanId: 'p' });

describe('spanCompleteness', () => {
  it('calls a span with all four events complete', () => {
    expect(spanCompleteness(root([]), true)).toBe('complete');
    expect(spanCompleteness(child([]), false)).toBe('complete');
  });

  it('calls a root span with only REQ and REP missing an entry span (caller not instrumented)', () => {
    expect(spanCompleteness(root(['REQ', 'REP']), false)).toBe('entry');
    expect(spanCompleteness(root(['REP', 'REQ']), true)).toBe('entry');
  });

  it('calls a leaf span with only IN and OUT missing an uninstrumented callee, root or not', () => {
    expect(spanCompleteness(child(['IN', 'OUT']), true)).toBe('uninstrumented-callee');
    expect(spanCompleteness(root(['OUT', 'IN']), true)).toBe('uninstrumented-callee');
  });

  it.each([
    ['IN without OUT', child(['OUT']), true],
    ['REQ without REP', child(['REP']), true],
    ['OUT without IN on a root', root(['IN']), false],
    ['a non-root span missing REQ/REP (its caller is instrumented)', child(['REQ', 'REP']), false],
    ['a callee with children missing IN/OUT (it is instrumented)', child(['IN', 'OUT']), false],
    ['a root missing REQ/REP and OUT', root(['REQ', 'REP', 'OUT']), false],
    ['a leaf missing IN/OUT and REP', child(['IN', 'OUT', 'REP']), true],
  ] as const)('keeps %s partial', (_name, span, isLeaf) => {
    expect(spanCompleteness(span, isLeaf)).toBe('partial');
  });

  it('builds the missing-event bit mask once per type', () => {
    expect(missingMask([])).toBe(0);
    expect(missingMask(['REQ', 'REP'])).toBe(9);
    expect(missingMask(['IN', 'IN', 'OUT'])).toBe(6);
  });
});
