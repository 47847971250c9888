/**
 * A hop whose ids are known to be ASCII (made by an id source that says so, or checked on arrival) has
 * them copied to the wire as bytes; any other hop's ids are checked per character. Both must arrive as
 * the ids the service sees, whatever the source.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runWithTrace } from '../../src/context.js';
import { createTracer, type IdSource, LocalIdSource, PooledIdSource, type Tracer } from '../../src/index.js';
import { beginClientHop, beginServerHop, endClientHop, endServerHop } from '../../src/instrument/hop.js';
import { extractTrace, HttpHeaders } from '../../src/propagation/index.js';
import { UdpReceiver } from '../support/udp-receiver.js';

let receiver: UdpReceiver | undefined;
let tracer: Tracer | undefined;

afterEach(async () => {
  await tracer?.close();
  await receiver?.close();
  tracer = undefined;
  receiver = undefined;
});

async function start(idSource?: IdSource): Promise<[Tracer, UdpReceiver]> {
  receiver = await UdpReceiver.start();
  tracer = createTracer({
    service: 'ids',
    hostname: 'host-a',
    collectors: [receiver.address],
    ...(idSource ? { idSource } : {}),
  });
  return [tracer, receiver];
}

describe('ids known to be ASCII', () => {
  it('are what the built-in id sources make and what extractTrace accepts', () => {
    expect(new LocalIdSource().asciiIds).toBe(true);
    expect(new PooledIdSource({ fetchBatch: async () => [] }).asciiIds).toBe(true);
    const unsure = { nextTraceId: () => 'trace-é' };
    expect(new PooledIdSource({ fetchBatch: async () => [], fallback: unsure }).asciiIds).toBe(false);
    const incoming = extractTrace(
      (k) => ({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'a=b' })[k],
      HttpHeaders,
    );
    expect(incoming?.asciiIds).toBe(true);
  });

  it('arrive as the ids the service saw, copied or checked, for every way a hop gets its ids', async () => {
    // A source that does not say its ids are ASCII, and returns some that are not.
    let n = 0;
    const source: IdSource = { nextTraceId: () => (n++ % 2 === 0 ? `trace-é-${n}` : String(1000 + n)) };
    const [t, r] = await start(source);
    expect(t.asciiTraceIds).toBe(false);
    const expected: [string, string, string][] = [];
    const serve = (hop: ReturnType<typeof beginServerHop>) => {
      const call = runWithTrace(hop, () => beginClientHop(t, 'redis', 'INCR'));
      expect(call.asciiIds).toBe(hop.asciiIds);
      endClientHop(t, call, undefined, 0);
      endServerHop(t, hop, undefined, 200);
      expected.push([hop.traceId, hop.spanId, 'IN'], [call.traceId, call.spanId, 'REQ']);
    };
    for (let i = 0; i < 20; i++) {
      const root = beginServerHop(t, undefined, 'POST /nextid');
      expect(root.asciiIds).toBe(false);
      serve(root);
      const arrived = beginServerHop(
        t,
        extractTrace(
          (k) => ({ 'x-correlation-id': String(397237206544449536n + BigInt(i)), traceparent: undefined })[k],
          HttpHeaders,
        ),
        'POST /nextid',
      );
      expect(arrived.asciiIds).toBe(true);
      serve(arrived);
      // An application's own ids make the hop's ids unknown again.
      const renamed = beginServerHop(
        t,
        { traceId: '42', hopSpanId: '00f067aa0ba902b7', persistent: false, asciiIds: true },
        'x',
      );
      renamed.traceId = `répété-${i}`;
      expect(renamed.asciiIds).toBe(false);
      serve(renamed);
    }
    await t.flush();
    await r.waitForEvents(expected.length * 2);
    const starts = r.events
      .filter((e) => e.type === 'IN' || e.type === 'REQ')
      .map((e) => [e.traceId, e.spanId, e.type]);
    expect(starts.sort()).toEqual(expected.sort());
  });

  it('are copied for a root hop of a tracer whose id source makes ASCII ids', async () => {
    const [t, r] = await start();
    expect(t.asciiTraceIds).toBe(true);
    const hops = Array.from({ length: 50 }, () => beginServerHop(t, undefined, 'POST /nextid'));
    for (const hop of hops) {
      expect(hop.asciiIds).toBe(true);
      endServerHop(t, hop, undefined, 200);
    }
    await t.flush();
    await r.waitForEvents(100);
    expect(new Set(r.events.map((e) => `${e.traceId} ${e.spanId}`))).toEqual(
      new Set(hops.map((h) => `${h.traceId} ${h.spanId}`)),
    );
  });
});
