import { describe, expect, it } from 'vitest';
import { isSkewCorrected, skewBadge, skewDescription, skewShifts } from '../../src/model/skew-shifts.js';
import { traceToText } from '../../src/model/text-view.js';
import { buildTraceTree } from '../../src/model/trace-tree.js';
import { span } from '../support/spans.js';

const T0 = 1_700_000_000_000_000;
const RAW = { REQ: T0 + 1000, IN: T0 + 1176, OUT: T0 + 4427, REP: T0 + 4736 };

/** The shape the collector sent for a call from a host whose clock ran 261 µs ahead: only REQ/REP moved. */
const callerOnly = span('q', 'r', T0 + 739, 3736, {
  rawEvents: RAW,
  events: { REQ: RAW.REQ - 261, IN: RAW.IN, OUT: RAW.OUT, REP: RAW.REP - 261 },
  skewCorrected: true,
  skewMicros: 0,
});
const calleeOnly = span('r', undefined, T0, 4000, {
  rawEvents: RAW,
  events: { REQ: RAW.REQ, IN: RAW.IN - 261, OUT: RAW.OUT - 261, REP: RAW.REP },
  skewCorrected: true,
  skewMicros: -261,
});

describe('skew shifts', () => {
  it('names the side that moved: the callee by skewMicros, the caller by its adjusted minus raw times', () => {
    expect(skewShifts(callerOnly)).toEqual({ calleeMicros: 0, callerMicros: -261 });
    expect(skewBadge(skewShifts(callerOnly))).toBe('caller −261 µs');
    expect(skewDescription(skewShifts(callerOnly))).toMatch(/^caller's events \(REQ\/REP\) moved by −261 µs/);
    expect(skewBadge(skewShifts(calleeOnly))).toBe('skew −261 µs');
    const both = { calleeMicros: 120, callerMicros: -261 };
    expect(skewBadge(both)).toBe('skew +120 µs, caller −261 µs');
  });

  it('shows nothing for a correction that moved nothing, or a span not corrected', () => {
    const still = span('s', undefined, T0, 100, { skewCorrected: true, skewMicros: 0.2 });
    expect(isSkewCorrected(skewShifts(still))).toBe(false);
    expect(skewBadge(skewShifts(still))).toBeUndefined();
    expect(skewDescription(skewShifts(span('u', undefined, T0, 100)))).toBe('no correction');
  });

  it('counts and flags spans by what moved, and the text view notes each side on its own events', () => {
    const tree = buildTraceTree([calleeOnly, callerOnly, span('s', 'q', T0 + 2000, 100, { skewCorrected: true })]);
    expect(tree.skewCorrectedCount).toBe(2);
    const text = traceToText('t1', [calleeOnly, callerOnly], 'adjusted').text;
    const lines = text.split('\n');
    const line = (type: string, to: string) =>
      lines.find((l) => l.includes(`[${type}]`) && l.includes(`→ ${to}.`)) ?? '';
    expect(line('REQ', 'svc-q')).toContain('(skew-corrected -0.26 ms)');
    expect(line('IN', 'svc-q')).not.toContain('skew-corrected');
    expect(line('IN', 'svc-r')).toContain('(skew-corrected -0.26 ms)');
    expect(line('REQ', 'svc-r')).not.toContain('skew-corrected');
  });
});
