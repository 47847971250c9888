import { describe, expect, it, vi } from 'vitest';
import { RateSampler } from '../src/sampler.js';

describe('RateSampler', () => {
  it('keeps every trace at rate 1 without drawing a random number, and none at rate 0', () => {
    const all = new RateSampler(1);
    const none = new RateSampler(0);
    const random = vi.spyOn(Math, 'random');
    try {
      for (let i = 0; i < 1000; i++) expect(all.shouldSample()).toBe(true);
      expect(random).not.toHaveBeenCalled();
    } finally {
      random.mockRestore();
    }
    for (let i = 0; i < 1000; i++) expect(none.shouldSample()).toBe(false);
  });

  it('keeps about the given fraction in between', () => {
    const sampler = new RateSampler(0.25);
    let kept = 0;
    for (let i = 0; i < 20_000; i++) if (sampler.shouldSample()) kept++;
    // 20,000 draws at p = 0.25: the standard deviation is ≈ 61, so ±600 is ~10 sigma.
    expect(kept).toBeGreaterThan(4_400);
    expect(kept).toBeLessThan(5_600);
  });

  it('refuses a rate outside 0..1', () => {
    expect(() => new RateSampler(1.5)).toThrow(/sampleRate/);
    expect(() => new RateSampler(Number.NaN)).toThrow(/sampleRate/);
  });
});
