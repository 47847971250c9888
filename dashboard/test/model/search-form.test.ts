import { describe, expect, it } from 'vitest';
import { DEFAULT_SEARCH_LIMIT, parseSearch } from '../../src/model/search-form.js';

const NOW = 1_700_000_000_000_000;

describe('parseSearch', () => {
  it('turns the form fields into an API query with microsecond durations', () => {
    const r = parseSearch(
      new URLSearchParams(
        'service=auth&endpoint=check&minMs=1.5&maxMs=20&errors=1&tag=http.status=500, region=eu&lookback=15m&limit=10',
      ),
      NOW,
    );
    expect(r).toEqual({
      ok: true,
      query: {
        service: 'auth',
        endpoint: 'check',
        minDurationMicros: 1500,
        maxDurationMicros: 20000,
        errorsOnly: true,
        tags: { 'http.status': '500', region: 'eu' },
        sinceMicros: NOW - 15 * 60 * 1e6,
        limit: 10,
      },
    });
  });

  it('defaults to the last hour and the default limit', () => {
    expect(parseSearch(new URLSearchParams(''), NOW)).toEqual({
      ok: true,
      query: { limit: DEFAULT_SEARCH_LIMIT, sinceMicros: NOW - 3600e6 },
    });
  });

  it('names every bad field', () => {
    const r = parseSearch(new URLSearchParams('minMs=abc&maxMs=-1&tag=novalue&limit=0&lookback=2y'), NOW);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.join('\n')).toMatch(/^minMs: "abc"/m);
    expect(r.errors.join('\n')).toMatch(/^maxMs: "-1"/m);
    expect(r.errors.join('\n')).toMatch(/^tag: "novalue" is not key=value/m);
    expect(r.errors.join('\n')).toMatch(/^limit: "0"/m);
    expect(r.errors.join('\n')).toMatch(/^lookback: "2y"/m);
  });

  it('rejects an inverted duration range and an inverted custom time range', () => {
    const r = parseSearch(
      new URLSearchParams('minMs=10&maxMs=5&lookback=custom&from=2024-01-02T00:00&to=2024-01-01T00:00'),
      NOW,
    );
    expect(r.ok ? [] : r.errors).toEqual(['maxMs: must not be below minMs', 'to: must not be before from']);
  });
});
