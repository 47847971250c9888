/** The attribute sets of an HTTP server endpoint: cached per scheme and Host header, bounded. */
import { describe, expect, it } from 'vitest';
import { AttributePolicy } from '../../src/attributes/attribute-set.js';
import { HttpServerEndpoint } from '../../src/attributes/endpoint-attributes.js';

const endpoint = () => new HttpServerEndpoint(new AttributePolicy(true), 'GET /a', 'GET', '/a');

describe('HTTP server endpoint attributes', () => {
  it('keeps http and https apart for the same Host header (default ports leave the port out)', () => {
    const e = endpoint();
    const schemes = ['http', 'https', 'https', 'http', 'http', 'https'];
    for (const scheme of schemes) {
      expect(e.attributes('example.com', scheme)?.request).toMatchObject({
        'url.scheme': scheme,
        'server.address': 'example.com',
      });
    }
  });

  it('reuses one set per scheme and host', () => {
    const e = endpoint();
    const first = e.attributes('a:8080', 'http');
    e.attributes('b:8080', 'http');
    expect(e.attributes('a:8080', 'http')).toBe(first);
    expect(first?.request).toMatchObject({ 'server.address': 'a', 'server.port': '8080' });
  });

  it('past 16 hosts, a set without the host; past 4 schemes, one without scheme or host', () => {
    const e = endpoint();
    for (let i = 0; i < 16; i++) e.attributes(`h${i}`, 'https');
    const hostless = e.attributes('h16', 'https')?.request;
    expect(hostless).toMatchObject({ 'url.scheme': 'https' });
    expect(hostless?.['server.address']).toBeUndefined();
    for (const scheme of ['http', 'ws', 'wss']) e.attributes('h0', scheme);
    const unnamed = e.attributes('h0', 'gopher')?.request;
    expect(unnamed).toMatchObject({ 'http.route': '/a', 'http.request.method': 'GET' });
    expect(unnamed?.['url.scheme']).toBeUndefined();
    expect(unnamed?.['server.address']).toBeUndefined();
  });
});
