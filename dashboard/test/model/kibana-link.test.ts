import { describe, expect, it } from 'vitest';
import { kibanaDiscoverUrl, safeHttpUrl } from '../../src/model/kibana-link.js';

describe('kibanaDiscoverUrl', () => {
  it('links to Discover filtered on the correlation id', () => {
    const url = kibanaDiscoverUrl('http://127.0.0.1:5601/', '1234567890');
    expect(url).toBeDefined();
    const parsed = new URL(url!);
    expect(parsed.origin).toBe('http://127.0.0.1:5601');
    expect(parsed.pathname).toBe('/app/discover');
    const state = decodeURIComponent(parsed.hash);
    expect(state).toContain(`query:'traceId:"1234567890" or correlation_id:"1234567890"'`);
    expect(state).toContain('time:(from:now-30d,to:now)');
  });

  it.each([
    ['javascript:alert(1)'],
    ['data:text/html,<script>alert(1)</script>'],
    ['http://user:pass@kibana'],
    ['not a url'],
    [''],
  ])('refuses the base URL %j', (base) => {
    expect(kibanaDiscoverUrl(base, '123')).toBeUndefined();
  });

  it('refuses ids that could break out of the query', () => {
    expect(kibanaDiscoverUrl('https://kibana.example', `1" or x:"`)).toBeUndefined();
    expect(kibanaDiscoverUrl('https://kibana.example', "1')&_a=(x)")).toBeUndefined();
  });

  it('keeps a base path', () => {
    expect(safeHttpUrl('https://ops.example/kibana/')).toBe('https://ops.example/kibana');
  });
});
