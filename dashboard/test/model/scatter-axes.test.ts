import { describe, expect, it } from 'vitest';
import { durationTicks, timeTicks } from '../../src/model/scatter-axes.js';

const at = (iso: string) => Date.parse(iso) * 1000;

describe('duration axis', () => {
  it('runs from 0 to a round value at or above the slowest trace', () => {
    expect(durationTicks(311_000)).toEqual([
      { value: 0, label: '0' },
      { value: 100_000, label: '100 ms' },
      { value: 200_000, label: '200 ms' },
      { value: 300_000, label: '300 ms' },
      { value: 400_000, label: '400 ms' },
    ]);
    expect(durationTicks(8_000).map((t) => t.label)).toEqual(['0', '2.00 ms', '4.00 ms', '6.00 ms', '8.00 ms']);
  });

  it('keeps an axis for empty or broken maxima', () => {
    for (const max of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const ticks = durationTicks(max);
      expect(ticks[0]).toEqual({ value: 0, label: '0' });
      expect((ticks.at(-1) as { value: number }).value).toBeGreaterThan(0);
    }
  });
});

describe('wall-clock axis', () => {
  it('puts ticks on round UTC seconds inside the window', () => {
    const ticks = timeTicks(at('2026-12-03T14:41:43.179Z'), at('2026-12-03T14:41:52.992Z'), 6);
    expect(ticks.map((t) => t.label)).toEqual(['14:41:44', '14:41:46', '14:41:48', '14:41:50', '14:41:52']);
    expect(ticks[0]?.value).toBe(at('2026-12-03T14:41:44Z'));
  });

  it('uses clock divisions for long windows and milliseconds for short ones', () => {
    expect(timeTicks(at('2026-12-03T13:50:00Z'), at('2026-12-03T14:50:00Z'), 4).map((t) => t.label)).toEqual([
      '14:00:00',
      '14:15:00',
      '14:30:00',
      '14:45:00',
    ]);
    expect(timeTicks(at('2026-12-03T14:00:00.010Z'), at('2026-12-03T14:00:00.050Z'), 4).map((t) => t.label)).toEqual([
      '14:00:00.010',
      '14:00:00.020',
      '14:00:00.030',
      '14:00:00.040',
      '14:00:00.050',
    ]);
  });

  it('gives a single instant one tick', () => {
    expect(timeTicks(at('2026-12-03T14:00:00Z'), at('2026-12-03T14:00:00Z'))).toEqual([
      { value: at('2026-12-03T14:00:00Z'), label: '14:00:00.000' },
    ]);
  });
});
