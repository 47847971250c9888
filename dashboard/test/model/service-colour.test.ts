import { describe, expect, it } from 'vitest';
import { FIRST_HUE, LAST_HUE, serviceColour } from '../../src/model/service-colour.js';

const hueOf = (colour: string) => Number(/^hsl\((\d+) /.exec(colour)?.[1]);

describe('serviceColour', () => {
  it('is stable per name and never red (the colour of errors)', () => {
    const names = ['quote', 'gateway', 'rates', 'id-generator', ...Array.from({ length: 500 }, (_, i) => `svc-${i}`)];
    for (const name of names) {
      expect(serviceColour(name)).toBe(serviceColour(name));
      const hue = hueOf(serviceColour(name));
      expect(hue).toBeGreaterThanOrEqual(FIRST_HUE);
      expect(hue).toBeLessThanOrEqual(LAST_HUE);
    }
  });

  it('still tells services apart', () => {
    // The demo's services, named alike, at least 30° apart from one another.
    const demo = ['gateway', 'quote', 'rates', 'id-generator'].map((name) => hueOf(serviceColour(name)));
    for (let i = 0; i < demo.length; i++) {
      for (let j = i + 1; j < demo.length; j++) expect(Math.abs(demo[i]! - demo[j]!)).toBeGreaterThanOrEqual(30);
    }
    // 50 names over 311 hues: about 46 distinct by chance alone.
    const hues = new Set(Array.from({ length: 50 }, (_, i) => hueOf(serviceColour(`service-${i}`))));
    expect(hues.size).toBeGreaterThanOrEqual(35);
  });
});
