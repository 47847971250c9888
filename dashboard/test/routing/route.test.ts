import { describe, expect, it } from 'vitest';
import { formatRoute, parseHash, traceHref } from '../../src/routing/route.js';

describe('hash routes', () => {
  it('parses each view', () => {
    expect(parseHash('').page).toBe('search');
    expect(parseHash('#/services?window=15m')).toMatchObject({ page: 'services' });
    expect(parseHash('#/services?window=15m').params.get('window')).toBe('15m');
    const trace = parseHash('#/trace/123-abc?mode=raw&span=00ff');
    expect(trace).toMatchObject({ page: 'trace', traceId: '123-abc' });
    expect(trace.params.get('span')).toBe('00ff');
  });

  it('round-trips what it formats', () => {
    const hash = formatRoute('search', { service: 'a b&c', tag: ['k=v', 'x=y'], empty: '' });
    const route = parseHash(hash);
    expect(route.page).toBe('search');
    expect(route.params.get('service')).toBe('a b&c');
    expect(route.params.getAll('tag')).toEqual(['k=v', 'x=y']);
    expect(route.params.has('empty')).toBe(false);
    expect(parseHash(traceHref('42', { view: 'text' }))).toMatchObject({ page: 'trace', traceId: '42' });
  });

  it.each([['#/trace/<script>'], ['#/trace/'], ['#/trace/%E0%A4%A'], ['#/nowhere'], ['#/trace/a/b']])(
    'sends %j to not-found',
    (hash) => {
      expect(parseHash(hash).page).toBe('not-found');
    },
  );
});
