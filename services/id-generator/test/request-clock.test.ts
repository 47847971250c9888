import { nowMicros, type TraceContext } from '@phosphor/tracer';
import { describe, expect, it } from 'vitest';
import { elapsedMillis, requestStartMicros } from '../src/request-clock.js';

describe('the request clock', () => {
  it("starts a traced request at its hop's start, an untraced one now", () => {
    const hop: TraceContext = {
      traceId: '1',
      spanId: 'a'.repeat(16),
      sampled: true,
      persistent: false,
      startMicros: 42,
    };
    expect(requestStartMicros(hop)).toBe(42);
    const before = nowMicros();
    const untraced = requestStartMicros({ ...hop, startMicros: undefined });
    expect(untraced).toBeGreaterThanOrEqual(before);
    expect(untraced).toBeLessThanOrEqual(nowMicros());
    expect(requestStartMicros(undefined)).toBeGreaterThanOrEqual(untraced);
  });

  it('measures milliseconds on the same clock, never negative', () => {
    expect(elapsedMillis(nowMicros() - 2_500)).toBeGreaterThanOrEqual(2.5);
    expect(elapsedMillis(nowMicros() - 2_500)).toBeLessThan(1_000);
    expect(elapsedMillis(nowMicros() + 5_000_000)).toBe(0);
  });
});
