/**
 * A hop that ends while its start waits in the ring is held as numbers and bytes (WholeHops) and its
 * object let go at once; the flush still sends its two events as one frame, counted as two.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AppendStatus, DatagramWriter, decodeDatagram, EventFlags, EventTemplate } from '@phosphor/wire';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AttributePolicy } from '../../src/attributes/attribute-set.js';
import { WHOLE_HOP_BODY_BYTES, WholeHops } from '../../src/buffer/whole-hops.js';
import { createTracer, type Tracer } from '../../src/index.js';
import { beginClientHop, beginServerHop, endClientHop, endServerHop } from '../../src/instrument/hop.js';
import { UdpReceiver } from '../support/udp-receiver.js';

// vitest workers do not run with --expose-gc; V8 lets a running process expose it, and a fresh
// context picks the global `gc` up.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const START = 1_700_000_000_000_000;
const template = EventTemplate.encode({
  type: 'OUT',
  from: '',
  fromEndpoint: '',
  to: 'ids',
  toEndpoint: 'POST /nextid',
  hostname: 'host-a',
  zone: undefined,
  tags: undefined,
  flags: 1 | EventFlags.carriesStart,
}) as EventTemplate;
const identity = { tracerId: 'abcdef0123456789', service: 'ids', hostname: 'host-a' };

describe('WholeHops', () => {
  it('holds hops in order across wrap-around, refuses past capacity and ids past its bytes', () => {
    const store = new WholeHops(3);
    const add = (traceId: string, parent?: string): boolean =>
      store.add(template, traceId, undefined, 1, 2, parent, START, START + 5);
    expect(['1', '2', '3', '4'].map((t) => add(t))).toEqual([true, true, true, false]);
    expect(store.oldestTraceId()).toBe('1');
    store.drop();
    store.drop();
    expect(add('5', 'abcdef0123456789')).toBe(true);
    // A hop's body (ids with their tags and lengths, two times) has WHOLE_HOP_BODY_BYTES.
    expect(
      store.add(
        template,
        'x'.repeat(WHOLE_HOP_BODY_BYTES - 2 - 2 - 16 - 18 + 1),
        'y'.repeat(16),
        0,
        0,
        undefined,
        START,
        START + 1,
      ),
    ).toBe(false);
    expect(store.add(template, '', undefined, 1, 2, undefined, START, START + 1)).toBe(false);
    expect(store.size).toBe(2);
    expect(add('6')).toBe(true);
    expect(add('7')).toBe(false);
    const writer = new DatagramWriter({ maxDatagramBytes: 1400, ...identity });
    const traceIds = [];
    while (store.size > 0) {
      traceIds.push(store.oldestTraceId());
      expect(store.appendOldestTo(writer)).toBe(AppendStatus.appended);
      store.drop();
    }
    expect(traceIds).toEqual(['3', '5', '6']);
    const result = decodeDatagram(writer.finish(0, { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 0 }, 1));
    if (!result.ok) throw new Error(result.reason);
    expect(result.batch.events.map((e) => [e.type, e.traceId, e.parentSpanId, e.timestampMicros])).toEqual([
      ['IN', '3', undefined, START],
      ['OUT', '3', undefined, START + 5],
      ['IN', '5', 'abcdef0123456789', START],
      ['OUT', '5', 'abcdef0123456789', START + 5],
      ['IN', '6', undefined, START],
      ['OUT', '6', undefined, START + 5],
    ]);
  });
});

const attributes = new AttributePolicy(true).attributeSet(
  [
    ['http.request.method', 'POST'],
    ['http.route', '/nextid'],
  ],
  'http.response.status_code',
);

/** Records 100 server hops (one in ten with an error) each with a client call; weak references to them. */
function recordHops(tracer: Tracer): { whole: WeakRef<object>[]; kept: WeakRef<object>[] } {
  const whole: WeakRef<object>[] = [];
  const kept: WeakRef<object>[] = [];
  for (let i = 0; i < 100; i++) {
    const hop = beginServerHop(tracer, undefined, 'POST /nextid', attributes);
    const call = beginClientHop(tracer, 'redis', 'INCR');
    endClientHop(tracer, call, undefined, 0);
    if (i % 10 === 0) {
      // An error: its end goes field by field, so the hop waits in the ring for the flush.
      endServerHop(tracer, hop, { code: 'E_FAILED' }, 500);
      kept.push(new WeakRef(hop));
    } else {
      endServerHop(tracer, hop, undefined, 200);
      whole.push(new WeakRef(hop));
    }
    whole.push(new WeakRef(call));
  }
  return { whole, kept };
}

describe('hops held whole by the tracer', () => {
  let receiver: UdpReceiver;
  let tracer: Tracer;

  beforeEach(async () => {
    receiver = await UdpReceiver.start();
    tracer = createTracer({ service: 'ids', hostname: 'host-a', collectors: [receiver.address] });
  });

  afterEach(async () => {
    await tracer.close();
    await receiver.close();
  });

  it('lets a finished hop object go before the flush; hops that cannot go whole wait in the ring', async () => {
    // Made in a function of their own: a frame that is still running may keep its last values alive.
    const { whole, kept } = recordHops(tracer);
    // Started, not ended: its start waits in the ring.
    const open = beginServerHop(tracer, undefined, 'POST /nextid', attributes);
    expect(tracer.stats()).toMatchObject({ recordedEvents: 401, bufferedEvents: 401, sentEvents: 0 });
    // WeakRef targets stay alive until the job that made them ends.
    await new Promise((resolve) => setTimeout(resolve, 1));
    gc();
    expect(whole.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    expect(kept.filter((ref) => ref.deref() !== undefined)).toHaveLength(10);
    await tracer.flush();
    await receiver.waitForEvents(401);
    expect(tracer.stats()).toMatchObject({ recordedEvents: 401, sentEvents: 401, bufferedEvents: 0 });
    expect(Object.values(tracer.stats().droppedEvents).every((n) => n === 0)).toBe(true);
    const types = new Map<string, string[]>();
    for (const e of receiver.events) types.set(e.spanId, [...(types.get(e.spanId) ?? []), e.type]);
    expect(types.size).toBe(201);
    expect(types.get(open.spanId)).toEqual(['IN']);
    const failed = receiver.events.filter((e) => e.errorCode === 'E_FAILED');
    expect(failed).toHaveLength(10);
    endServerHop(tracer, open, undefined, 200);
    await tracer.flush();
    await receiver.waitForEvents(402);
    expect(types.size).toBe(201);
    expect(receiver.events.filter((e) => e.spanId === open.spanId).map((e) => e.type)).toEqual(['IN', 'OUT']);
  });

  it('sends a hop whose ids are not known to be ASCII through the ring, checked', async () => {
    const hop = beginServerHop(tracer, undefined, 'POST /nextid', attributes);
    hop.traceId = 'trace-é';
    endServerHop(tracer, hop, undefined, 200);
    const plain = beginServerHop(tracer, undefined, 'POST /nextid', attributes);
    endServerHop(tracer, plain, undefined, 200);
    await tracer.flush();
    await receiver.waitForEvents(4);
    expect(receiver.events.map((e) => [e.type, e.traceId])).toEqual([
      ['IN', plain.traceId],
      ['OUT', plain.traceId],
      ['IN', 'trace-é'],
      ['OUT', 'trace-é'],
    ]);
  });
});
