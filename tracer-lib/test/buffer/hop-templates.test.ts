import { AppendStatus, DatagramWriter, decodeDatagram, type TraceEvent } from '@phosphor/wire';
import { describe, expect, it } from 'vitest';
import { AttributePolicy } from '../../src/attributes/attribute-set.js';
import { HopTemplates } from '../../src/buffer/hop-templates.js';
import { type HopEventKind, SlotKind } from '../../src/buffer/slot-kind.js';
import { ClientHop, ServerHop } from '../../src/instrument/hop.js';

const SERVICE = 'quote';
const HOST = 'host-a';
const ZONE = 'eu-west-1a';
const identity = { tracerId: 'abcdef0123456789', service: SERVICE, hostname: HOST };
const drops = { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 };

function blankEvent(): TraceEvent {
  return {
    type: 'REQ',
    traceId: '',
    spanId: '',
    from: '',
    fromEndpoint: '',
    to: '',
    toEndpoint: '',
    timestampMicros: 0,
    hostname: '',
  };
}

function decode(datagram: Buffer): TraceEvent[] {
  const result = decodeDatagram(datagram);
  if (!result.ok) throw new Error(result.reason);
  return result.batch.events;
}

type Hop = ServerHop | ClientHop;

/** Hops of every shape the instrumentation records: both sides, with and without attributes, errors, flags. */
function hops(): [Hop, HopEventKind, HopEventKind][] {
  const policy = new AttributePolicy(true);
  const server = policy.attributeSet(
    [
      ['http.request.method', 'GET'],
      ['http.route', '/prix/:sku'],
      ['server.port', 8080],
    ],
    'http.response.status_code',
  );
  const client = policy.attributeSet([['rpc.system', 'grpc']], 'rpc.grpc.status_code');
  const out: [Hop, HopEventKind, HopEventKind][] = [];
  for (let i = 0; i < 24; i++) {
    const traceId = String(397237206544449536n + BigInt(i));
    const spanId = (0x1000 + i).toString(16).padStart(16, '0');
    const error = i % 5 === 4 ? { code: 'E_BOOM', description: 'it broke', type: 'Boom' } : undefined;
    const server_ = new ServerHop(
      traceId,
      spanId,
      i % 7 !== 3,
      i % 6 === 1,
      `GET /prix/:sku/${i % 3}`,
      i % 2 === 0 ? undefined : 'aaaaaaaaaaaaaaaa',
      i % 4 === 2 ? undefined : server,
      undefined,
      // Ids known to be ASCII are copied as bytes, the others checked per character: the same bytes.
      i % 2 === 0,
    );
    server_.endMicros = server_.startMicros + 100 + i;
    server_.status = i % 3 === 0 ? 200 : 503;
    server_.error = error;
    out.push([server_, SlotKind.IN, SlotKind.OUT]);
    const parent = i % 2 === 0 ? undefined : server_;
    const call = new ClientHop(
      traceId,
      parent,
      true,
      false,
      'ledger',
      '/ledger.Ledger/Post',
      i % 4 === 1 ? undefined : client,
      i % 3 === 0,
    );
    call.endMicros = call.startMicros + 300;
    call.status = i % 2;
    call.error = error;
    out.push([call, SlotKind.REQ, SlotKind.REP]);
  }
  return out;
}

describe('HopTemplates', () => {
  it('encodes every hop event as fill() describes it, templated or not', () => {
    const templates = new HopTemplates(HOST, ZONE);
    const templated = new DatagramWriter({ maxDatagramBytes: 65_000, ...identity });
    const reference = new DatagramWriter({ maxDatagramBytes: 65_000, ...identity });
    let viaTemplate = 0;
    // Twice over: the second pass finds every template made in the first.
    for (let pass = 0; pass < 2; pass++) {
      for (const [hop, first, second] of hops()) {
        for (const kind of [first, second]) {
          const scratch = blankEvent();
          hop.fill(kind, scratch, SERVICE, HOST, ZONE);
          expect(reference.append({ ...scratch })).toBe(AppendStatus.appended);
          const status = hop.appendTo(kind, templated, templates, SERVICE);
          if (status === undefined) {
            expect(templated.append({ ...scratch })).toBe(AppendStatus.appended);
          } else {
            expect(status).toBe(AppendStatus.appended);
            viaTemplate++;
          }
        }
      }
    }
    // Events with an error go field by field; the rest from templates.
    expect(viaTemplate).toBeGreaterThan(60);
    expect(decode(templated.finish(0, drops, 1))).toEqual(decode(reference.finish(0, drops, 1)));
  });

  it("writes a hop side's two events as one frame that decodes to exactly the two events fill() describes", () => {
    const templates = new HopTemplates(HOST, ZONE);
    const paired = new DatagramWriter({ maxDatagramBytes: 65_000, ...identity });
    const reference = new DatagramWriter({ maxDatagramBytes: 65_000, ...identity });
    let frames = 0;
    let pairs = 0;
    for (const [hop, first, second] of hops()) {
      const events = [first, second].map((kind) => {
        const scratch = blankEvent();
        hop.fill(kind, scratch, SERVICE, HOST, ZONE);
        return { ...scratch };
      });
      for (const event of events) expect(reference.append(event)).toBe(AppendStatus.appended);
      const status = hop.appendPairTo(paired, templates, SERVICE);
      if (status === undefined) {
        // A hop with an error goes as its two events.
        expect(hop.error).toBeDefined();
        for (const event of events) expect(paired.append(event)).toBe(AppendStatus.appended);
        frames += 2;
      } else {
        expect(status).toBe(AppendStatus.appended);
        frames++;
        pairs++;
      }
    }
    expect(pairs).toBeGreaterThan(30);
    // Every event counted, a pair's frame as two.
    expect(paired.eventCount).toBe(reference.eventCount);
    expect(frames).toBe(reference.eventCount - pairs);
    const pairedBytes = paired.finish(0, drops, 1);
    const referenceBytes = reference.finish(0, drops, 1);
    expect(pairedBytes.length).toBeLessThan(0.7 * referenceBytes.length);
    expect(decode(pairedBytes)).toEqual(decode(referenceBytes));
  });

  it('sends a hop as two events when its tags would not decode back onto their own events', () => {
    const templates = new HopTemplates(HOST, undefined);
    const request = Object.freeze({ 'http.route': '/a' });
    const status = Object.freeze({ 'http.response.status_code': '200' });
    expect(templates.getPair(SlotKind.OUT, '', '', SERVICE, 'GET /a', request, status, 1)?.events).toBe(2);
    // A status key on the start event, a request key or a custom tag on the end one.
    expect(templates.getPair(SlotKind.OUT, '', '', SERVICE, 'GET /a', status, undefined, 1)).toBeUndefined();
    expect(templates.getPair(SlotKind.OUT, '', '', SERVICE, 'GET /a', undefined, request, 1)).toBeUndefined();
    expect(
      templates.getPair(SlotKind.OUT, '', '', SERVICE, 'GET /a', Object.freeze({ team: 'x' }), undefined, 1),
    ).toBeUndefined();
    expect(
      templates.getPair(SlotKind.OUT, '', '', SERVICE, 'GET /a', { 'http.route': '/a' }, status, 1),
    ).toBeUndefined();
  });

  it('finds a pair template by attribute set and status: the one getPair gives for their tags, for each field that differs', () => {
    const templates = new HopTemplates(HOST, undefined);
    const policy = new AttributePolicy(true);
    const routeA = policy.attributeSet([['http.route', '/a']], 'http.response.status_code');
    const routeB = policy.attributeSet([['http.route', '/b']], 'http.response.status_code');
    const viaTags = (set: typeof routeA, status: number, endpoint = 'GET /a', flags = 1) =>
      templates.getPair(SlotKind.OUT, '', '', SERVICE, endpoint, set.request, set.response(status, undefined), flags);
    const first = templates.pairOf(SlotKind.OUT, '', '', SERVICE, 'GET /a', routeA, 200, 1);
    expect(first?.events).toBe(2);
    expect(first).toBe(viaTags(routeA, 200));
    expect(templates.pairOf(SlotKind.OUT, '', '', SERVICE, 'GET /a', routeA, 200, 1)).toBe(first);
    // Each field of the key changes the template: status, attribute set, endpoint, flags, kind, peer.
    const others = [
      [templates.pairOf(SlotKind.OUT, '', '', SERVICE, 'GET /a', routeA, 404, 1), viaTags(routeA, 404)],
      [templates.pairOf(SlotKind.OUT, '', '', SERVICE, 'GET /a', routeB, 200, 1), viaTags(routeB, 200)],
      [templates.pairOf(SlotKind.OUT, '', '', SERVICE, 'GET /b', routeA, 200, 1), viaTags(routeA, 200, 'GET /b')],
      [templates.pairOf(SlotKind.OUT, '', '', SERVICE, 'GET /a', routeA, 200, 3), viaTags(routeA, 200, 'GET /a', 3)],
    ];
    for (const [found, expected] of others) {
      expect(found).toBeDefined();
      expect(found).toBe(expected);
      expect(found).not.toBe(first);
    }
    const rep = templates.pairOf(SlotKind.REP, SERVICE, 'GET /a', 'prices', '/v1', routeA, 200, 1);
    expect(rep?.fields.type).toBe('REP');
    expect(templates.pairOf(SlotKind.OUT, '', '', SERVICE, 'GET /a', routeA, 200, 1)).toBe(first);
    // A status past the attribute set's cache gives a new tags object each time; the template is kept.
    const unusual = templates.pairOf(SlotKind.OUT, '', '', SERVICE, 'GET /a', routeA, 799, 1);
    expect(templates.pairOf(SlotKind.OUT, '', '', SERVICE, 'GET /a', routeA, 799, 1)).toBe(unusual);
    expect(templates.pairOf(SlotKind.OUT, '', '', SERVICE, 'GET /a', undefined, -1, 1)?.fields.tags).toBeUndefined();
  });

  it('finds a template by identity of its strings and tags, and refuses tags that are not frozen', () => {
    const templates = new HopTemplates(HOST, undefined);
    const tags = Object.freeze({ 'http.route': '/a' });
    const first = templates.get(SlotKind.IN, '', '', SERVICE, 'GET /a', tags, 1);
    expect(first).toBeDefined();
    expect(templates.get(SlotKind.IN, '', '', SERVICE, 'GET /a', tags, 1)).toBe(first);
    expect(templates.get(SlotKind.OUT, '', '', SERVICE, 'GET /a', tags, 1)).not.toBe(first);
    expect(templates.get(SlotKind.IN, '', '', SERVICE, 'GET /a', Object.freeze({ 'http.route': '/a' }), 1)).not.toBe(
      first,
    );
    expect(templates.get(SlotKind.IN, '', '', SERVICE, 'GET /a', tags, 3)).not.toBe(first);
    expect(templates.get(SlotKind.IN, '', '', SERVICE, 'GET /a', { 'http.route': '/a' }, 1)).toBeUndefined();
    expect(templates.get(SlotKind.IN, '', '', SERVICE, 'x'.repeat(300), tags, 1)).toBeUndefined();
  });

  it('stays correct past the templates it keeps per kind', () => {
    const templates = new HopTemplates(HOST, undefined);
    const writer = new DatagramWriter({ maxDatagramBytes: 65_000, ...identity });
    const expected: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 150; i++) {
        const endpoint = `GET /e/${i}`;
        const template = templates.get(SlotKind.IN, '', '', SERVICE, endpoint, undefined, 1);
        if (template === undefined) throw new Error('no template');
        const status = writer.appendFromTemplate(
          template,
          '1',
          String(i).padStart(16, '0'),
          undefined,
          1 + i,
          undefined,
        );
        expect(status).toBe(AppendStatus.appended);
        expected.push(endpoint);
      }
    }
    expect(decode(writer.finish(0, drops, 1)).map((e) => e.toEndpoint)).toEqual(expected);
  });
});
