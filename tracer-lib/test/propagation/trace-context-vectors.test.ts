import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phosphorFastify } from '../../src/fastify.js';
import { tracedFetch } from '../../src/fetch.js';
import { createTracer, type Tracer } from '../../src/index.js';

/**
 * The W3C Trace Context test suite (w3c/trace-context test/test.py, strict level 2), as table tests:
 * a harness sends headers to a service traced with phosphorFastify, the service calls the harness
 * back with tracedFetch, and the callback's traceparent/tracestate are checked the way the suite
 * checks them. Requests go over real HTTP with raw header lists, so repeated headers and the
 * parser's handling of whitespace are Node's own.
 */

const TRACE_ID = '12345678901234567890123456789012';
const PARENT = '00-12345678901234567890123456789012-1234567890123456-00';

let service: FastifyInstance;
let harness: Server;
let tracer: Tracer;
let serviceUrl = '';
let harnessUrl = '';
let lastCallback: IncomingHttpHeaders = {};

beforeAll(async () => {
  harness = createServer((req, res) => {
    lastCallback = req.headers;
    res.end('ok');
  });
  await new Promise<void>((resolve) => harness.listen(0, '127.0.0.1', resolve));
  harnessUrl = `http://127.0.0.1:${(harness.address() as AddressInfo).port}/callback`;
  // No collector is needed to check propagation: a dead address, events are simply counted.
  tracer = createTracer({ service: 'vendor', collectors: ['127.0.0.1:9'] });
  const callback = tracedFetch(tracer, { to: 'harness' });
  service = Fastify();
  await service.register(phosphorFastify, { tracer });
  service.post('/test', async () => {
    await (await callback(harnessUrl, { method: 'POST', endpoint: 'POST /callback' })).text();
    return 'done';
  });
  serviceUrl = await service.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await service.close();
  await tracer.close();
  await new Promise((resolve) => harness.close(resolve));
});

/** Sends `headers` (name, value pairs, repeats allowed) to the service; returns the callback's trace context. */
async function roundTrip(
  headers: [string, string][],
): Promise<{ traceId: string; parentId: string; state: Map<string, string>; raw: string }> {
  const url = new URL(`${serviceUrl}/test`);
  // A name given several values is sent as several header lines, in order.
  const lines: Record<string, string[]> = {};
  for (const [name, value] of headers) {
    const values = lines[name] ?? [];
    values.push(value);
    lines[name] = values;
  }
  lastCallback = {};
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: lines },
      (res) => {
        expect(res.statusCode).toBe(200);
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end();
  });
  const traceparent = String(lastCallback.traceparent ?? '');
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(traceparent);
  expect(match, `callback traceparent ${traceparent}`).not.toBeNull();
  const raw = String(lastCallback.tracestate ?? '');
  const state = new Map<string, string>();
  for (const member of raw.split(',')) {
    const trimmed = member.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    state.set(trimmed.slice(0, eq), trimmed.slice(eq + 1));
  }
  return { traceId: match?.[1] ?? '', parentId: match?.[2] ?? '', state, raw };
}

describe('traceparent vectors', () => {
  const continued: [string, [string, string][]][] = [
    ['a valid traceparent', [['traceparent', '00-12345678901234567890123456789012-1234567890123456-01']]],
    ['header name TraceParent', [['TraceParent', '00-12345678901234567890123456789012-1234567890123456-01']]],
    ['header name TrAcEpArEnT', [['TrAcEpArEnT', '00-12345678901234567890123456789012-1234567890123456-01']]],
    ['header name TRACEPARENT', [['TRACEPARENT', '00-12345678901234567890123456789012-1234567890123456-01']]],
    ['future version cc', [['traceparent', 'cc-12345678901234567890123456789012-1234567890123456-01']]],
    [
      'future version cc with more fields',
      [['traceparent', 'cc-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like']],
    ],
    ['leading space', [['traceparent', ' 00-12345678901234567890123456789012-1234567890123456-01']]],
    ['leading tab', [['traceparent', '\t00-12345678901234567890123456789012-1234567890123456-01']]],
    ['trailing space', [['traceparent', '00-12345678901234567890123456789012-1234567890123456-01 ']]],
    ['trailing tab', [['traceparent', '00-12345678901234567890123456789012-1234567890123456-01\t']]],
    ['spaces and tabs around', [['traceparent', '\t 00-12345678901234567890123456789012-1234567890123456-01 \t']]],
  ];
  it.each(continued)('continues the trace for %s, with a new parent id', async (_name, headers) => {
    const { traceId, parentId } = await roundTrip(headers);
    expect(traceId).toBe(TRACE_ID);
    expect(parentId).not.toBe('1234567890123456');
  });

  const restarted: [string, [string, string][]][] = [
    [
      'two traceparent headers',
      [
        ['traceparent', '00-12345678901234567890123456789011-1234567890123456-01'],
        ['traceparent', '00-12345678901234567890123456789012-1234567890123456-01'],
      ],
    ],
    ['header name trace-parent', [['trace-parent', '00-12345678901234567890123456789012-1234567890123456-01']]],
    ['header name trace.parent', [['trace.parent', '00-12345678901234567890123456789012-1234567890123456-01']]],
    ['version 00 with a trailing dot', [['traceparent', '00-12345678901234567890123456789012-1234567890123456-01.']]],
    [
      'version 00 with more fields',
      [['traceparent', '00-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like']],
    ],
    [
      'future version with a dot before more fields',
      [['traceparent', 'cc-12345678901234567890123456789012-1234567890123456-01.what-the-future-will-be-like']],
    ],
    ['version ff', [['traceparent', 'ff-12345678901234567890123456789012-1234567890123456-01']]],
    ['version .0', [['traceparent', '.0-12345678901234567890123456789012-1234567890123456-01']]],
    ['version 0.', [['traceparent', '0.-12345678901234567890123456789012-1234567890123456-01']]],
    ['version 000', [['traceparent', '000-12345678901234567890123456789012-1234567890123456-01']]],
    ['version 0000', [['traceparent', '0000-12345678901234567890123456789012-1234567890123456-01']]],
    ['version 0', [['traceparent', '0-12345678901234567890123456789012-1234567890123456-01']]],
    ['trace id with a dot first', [['traceparent', '00-.2345678901234567890123456789012-1234567890123456-01']]],
    ['trace id with a dot last', [['traceparent', '00-1234567890123456789012345678901.-1234567890123456-01']]],
    ['trace id of 33 digits', [['traceparent', '00-123456789012345678901234567890123-1234567890123456-01']]],
    ['trace id of 31 digits', [['traceparent', '00-1234567890123456789012345678901-1234567890123456-01']]],
    ['parent id all zero', [['traceparent', '00-12345678901234567890123456789012-0000000000000000-01']]],
    ['parent id with a dot first', [['traceparent', '00-12345678901234567890123456789012-.234567890123456-01']]],
    ['parent id with a dot last', [['traceparent', '00-12345678901234567890123456789012-123456789012345.-01']]],
    ['parent id of 17 digits', [['traceparent', '00-12345678901234567890123456789012-12345678901234567-01']]],
    ['parent id of 15 digits', [['traceparent', '00-12345678901234567890123456789012-123456789012345-01']]],
    ['flags .0', [['traceparent', '00-12345678901234567890123456789012-1234567890123456-.0']]],
    ['flags 0.', [['traceparent', '00-12345678901234567890123456789012-1234567890123456-0.']]],
    ['flags 001', [['traceparent', '00-12345678901234567890123456789012-1234567890123456-001']]],
    ['flags 1', [['traceparent', '00-12345678901234567890123456789012-1234567890123456-1']]],
  ];
  it.each(restarted)('starts a new trace for %s', async (_name, headers) => {
    const { traceId } = await roundTrip(headers);
    expect(traceId).not.toBe(TRACE_ID);
    expect(traceId).not.toBe('12345678901234567890123456789011');
  });

  it('starts a new trace for an all-zero trace id', async () => {
    const { traceId } = await roundTrip([['traceparent', '00-00000000000000000000000000000000-1234567890123456-01']]);
    expect(traceId).not.toBe('00000000000000000000000000000000');
  });

  it('makes a new parent id for every outgoing call, with and without an incoming traceparent', async () => {
    const parents = new Set<string>();
    for (let i = 0; i < 3; i++) parents.add((await roundTrip([['traceparent', PARENT]])).parentId);
    for (let i = 0; i < 3; i++) parents.add((await roundTrip([])).parentId);
    expect(parents.size).toBe(6);
  });
});

/** Members other than Phosphor's own, in order. */
function foreign(state: Map<string, string>): [string, string][] {
  return [...state].filter(([key]) => key !== 'phosphor');
}

describe('tracestate vectors', () => {
  it('forwards nothing foreign when tracestate comes without traceparent', async () => {
    const one = await roundTrip([['tracestate', 'foo=1']]);
    const two = await roundTrip([['tracestate', 'foo=1,bar=2']]);
    expect(foreign(one.state)).toEqual([]);
    expect(foreign(two.state)).toEqual([]);
  });

  it('forwards the other vendors after its own member, first', async () => {
    const { traceId, state, raw } = await roundTrip([
      ['traceparent', PARENT],
      ['tracestate', 'foo=1,bar=2'],
    ]);
    expect(traceId).toBe(TRACE_ID);
    expect(foreign(state)).toEqual([
      ['foo', '1'],
      ['bar', '2'],
    ]);
    expect(raw).toMatch(/^phosphor=p:[0-9a-f]{16},foo=1,bar=2$/);
  });

  it.each([['trace-state'], ['trace.state']])('ignores a tracestate sent as %s', async (name) => {
    const { state } = await roundTrip([
      ['traceparent', PARENT],
      [name, 'foo=1'],
    ]);
    expect(state.has('foo')).toBe(false);
  });

  it.each([['TraceState'], ['TrAcEsTaTe'], ['TRACESTATE']])('reads the header named %s', async (name) => {
    const { state } = await roundTrip([
      ['traceparent', PARENT],
      [name, 'foo=1'],
    ]);
    expect(state.get('foo')).toBe('1');
  });

  it('drops an empty tracestate and keeps the members of the non-empty ones', async () => {
    expect(
      foreign(
        (
          await roundTrip([
            ['traceparent', PARENT],
            ['tracestate', ''],
          ])
        ).state,
      ),
    ).toEqual([]);
    for (const headers of [
      [
        ['tracestate', 'foo=1'],
        ['tracestate', ''],
      ],
      [
        ['tracestate', ''],
        ['tracestate', 'foo=1'],
      ],
    ] as [string, string][][]) {
      const { traceId, state } = await roundTrip([['traceparent', PARENT], ...headers]);
      expect(traceId).toBe(TRACE_ID);
      expect(state.get('foo')).toBe('1');
    }
  });

  it('combines several tracestate headers in order', async () => {
    const { raw } = await roundTrip([
      ['traceparent', PARENT],
      ['tracestate', 'foo=1,bar=2'],
      ['tracestate', 'rojo=1,congo=2'],
      ['tracestate', 'baz=3'],
    ]);
    expect(raw).toMatch(/^phosphor=[^,]+,foo=1,bar=2,rojo=1,congo=2,baz=3$/);
  });

  const discarded: [string, [string, string][], string][] = [
    ['a duplicated key', [['tracestate', 'foo=1,foo=1']], 'foo'],
    ['a key duplicated with another value', [['tracestate', 'foo=1,foo=2']], 'foo'],
    [
      'a key duplicated across headers',
      [
        ['tracestate', 'foo=1'],
        ['tracestate', 'foo=1'],
      ],
      'foo',
    ],
    [
      'a key duplicated across headers with another value',
      [
        ['tracestate', 'foo=1'],
        ['tracestate', 'foo=2'],
      ],
      'foo',
    ],
    ['a space before =', [['tracestate', 'foo =1']], 'foo '],
    ['an upper-case key', [['tracestate', 'FOO=1']], 'FOO'],
    ['a dot in the key', [['tracestate', 'foo.bar=1']], 'foo.bar'],
    ['an empty vendor', [['tracestate', 'foo@=1,bar=2']], 'bar'],
    ['an empty tenant', [['tracestate', '@foo=1,bar=2']], 'bar'],
    ['two @', [['tracestate', 'foo@@bar=1,bar=2']], 'bar'],
    ['two vendors', [['tracestate', 'foo@bar@baz=1,bar=2']], 'bar'],
    [
      'a 257-char key',
      [
        ['tracestate', 'foo=1'],
        ['tracestate', `${'z'.repeat(257)}=1`],
      ],
      'foo',
    ],
    [
      'a 242-char tenant',
      [
        ['tracestate', 'foo=1'],
        ['tracestate', `${'t'.repeat(242)}@v=1`],
      ],
      'foo',
    ],
    [
      'a 15-char vendor',
      [
        ['tracestate', 'foo=1'],
        ['tracestate', `t@${'v'.repeat(15)}=1`],
      ],
      'foo',
    ],
    ['= in the value', [['tracestate', 'foo=bar=baz']], 'foo'],
    ['an empty value', [['tracestate', 'foo=,bar=3']], 'bar'],
  ];
  it.each(discarded)('discards the whole list for %s', async (_name, headers, key) => {
    const { traceId, state } = await roundTrip([['traceparent', PARENT], ...headers]);
    expect(traceId).toBe(TRACE_ID);
    expect(state.has(key)).toBe(false);
    expect(foreign(state)).toEqual([]);
  });

  it('accepts every allowed character in keys and values', async () => {
    const key = `${'abcdefghijklmnopqrstuvwxyz'}0123456789_-*/`;
    const chars = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(from + i)).join('');
    // Leading spaces of a header value are dropped by HTTP itself; keep the value's own spaces inside.
    const value = `${chars(0x21, 0x2b)}${chars(0x2d, 0x3c)}${chars(0x3e, 0x7e)} ${chars(0x20, 0x2b).trim()}`;
    for (const k of [key, `${key}@a-z0-9_-*/`]) {
      const { state } = await roundTrip([
        ['traceparent', PARENT],
        ['tracestate', `${k}=${value}`],
      ]);
      expect(state.get(k)).toBe(value);
    }
  });

  it('accepts spaces and tabs around members', async () => {
    for (const header of ['foo=1 \t , \t bar=2, \t baz=3', 'foo=1\t \t,\t \tbar=2,\t \tbaz=3']) {
      const { state } = await roundTrip([
        ['traceparent', PARENT],
        ['tracestate', header],
      ]);
      expect(foreign(state)).toEqual([
        ['foo', '1'],
        ['bar', '2'],
        ['baz', '3'],
      ]);
    }
    for (const header of [' foo=1', '\tfoo=1', 'foo=1 ', 'foo=1\t', '\t foo=1 \t']) {
      const { traceId, state } = await roundTrip([
        ['traceparent', PARENT],
        ['tracestate', header],
      ]);
      expect(traceId).toBe(TRACE_ID);
      expect(state.get('foo')).toBe('1');
    }
  });

  it('keeps 32 members (its own first, the rightmost foreign one dropped) and discards 33', async () => {
    const members = Array.from(
      { length: 33 },
      (_, i) => `bar${String(i + 1).padStart(2, '0')}=${String(i + 1).padStart(2, '0')}`,
    );
    const headers = (count: number): [string, string][] => [
      ['traceparent', PARENT],
      ['tracestate', members.slice(0, 10).join(',')],
      ['tracestate', members.slice(10, 20).join(',')],
      ['tracestate', members.slice(20, 30).join(',')],
      ['tracestate', members.slice(30, count).join(',')],
    ];
    const kept = await roundTrip(headers(32));
    expect(kept.state.get('bar01')).toBe('01');
    expect(kept.state.size).toBe(32);
    expect([...kept.state.keys()][0]).toBe('phosphor');
    expect(kept.state.has('bar32')).toBe(false);
    const over = await roundTrip(headers(33));
    expect(over.state.has('bar01')).toBe(false);
  });

  it('accepts keys of 256 chars, 241-char tenants and 14-char vendors', async () => {
    for (const member of [`${'z'.repeat(256)}=1`, `${'t'.repeat(241)}@${'v'.repeat(14)}=1`]) {
      const { state } = await roundTrip([
        ['traceparent', PARENT],
        ['tracestate', 'foo=1'],
        ['tracestate', member],
      ]);
      expect(state.get('foo')).toBe('1');
    }
  });
});
