import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTracer, PooledIdSource, type Tracer, TracerError } from '../src/index.js';
import { MAX_PENDING_DATAGRAMS } from '../src/transport/udp.js';
import { makeEvent } from './support/events.js';
import { deadPort, UdpReceiver } from './support/udp-receiver.js';

let receiver: UdpReceiver;
const tracers: Tracer[] = [];

function tracerFor(options: Partial<Parameters<typeof createTracer>[0]> = {}): Tracer {
  const tracer = createTracer({ service: 'quote', hostname: 'host-a', collectors: [receiver.address], ...options });
  tracers.push(tracer);
  return tracer;
}

beforeEach(async () => {
  receiver = await UdpReceiver.start();
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(tracers.splice(0).map((t) => t.close()));
  await receiver.close();
});

describe('createTracer', () => {
  it('sends a partly filled datagram only when flushIntervalMillis elapses', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const tracer = tracerFor({ flushIntervalMillis: 500 });
    const events = [makeEvent(), makeEvent({ type: 'REP', durationMicros: 12 }), makeEvent()];
    for (const event of events) tracer.emit(event);
    await new Promise((r) => setTimeout(r, 30));
    expect(receiver.events).toHaveLength(0);
    expect(tracer.stats().bufferedEvents).toBe(3);

    vi.advanceTimersByTime(499);
    await new Promise((r) => setTimeout(r, 30));
    expect(receiver.events).toHaveLength(0);

    vi.advanceTimersByTime(1);
    await receiver.waitForEvents(3);
    expect(receiver.events).toEqual(events);
    expect(tracer.stats()).toMatchObject({ recordedEvents: 3, sentEvents: 3, sentDatagrams: 1, bufferedEvents: 0 });
  });

  it('sends full datagrams without waiting for the timer', async () => {
    const tracer = tracerFor({ flushIntervalMillis: 3_600_000, maxDatagramBytes: 1400 });
    for (let i = 0; i < 200; i++) tracer.emit(makeEvent());
    await new Promise((r) => setTimeout(r, 100));
    const stats = tracer.stats();
    expect(stats.sentDatagrams).toBeGreaterThanOrEqual(10);
    expect(stats.sentEvents + stats.bufferedEvents).toBe(200);
    expect(Math.max(...receiver.sizes)).toBeLessThanOrEqual(1400);
    expect(receiver.events.length).toBe(stats.sentEvents);
  });

  it('drops and counts exactly the events beyond maxBufferedEvents', async () => {
    const tracer = tracerFor({ maxBufferedEvents: 10 });
    for (let i = 0; i < 25; i++) tracer.emit(makeEvent());
    expect(tracer.stats()).toMatchObject({ recordedEvents: 10, bufferedEvents: 10 });
    expect(tracer.stats().droppedEvents.bufferFull).toBe(15);
    await tracer.flush();
    await receiver.waitForEvents(10);
    expect(receiver.events).toHaveLength(10);
    expect(receiver.batches.at(-1)?.drops.bufferFull).toBe(15);
  });

  it('numbers datagrams per tracer and carries its drop counters', async () => {
    const tracer = tracerFor();
    tracer.emit(makeEvent({ flags: 0 }));
    tracer.emit(makeEvent());
    await tracer.flush();
    tracer.emit(makeEvent());
    await tracer.flush();
    await receiver.waitForEvents(2);
    expect(receiver.batches.map((b) => b.sequence)).toEqual([0, 1]);
    expect(receiver.batches.map((b) => b.tracerId)).toEqual([tracer.tracerId, tracer.tracerId]);
    expect(receiver.batches[1]?.drops).toEqual({ bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 1 });
  });

  it('counts unsampled events as sampledOut but sends persistent ones', async () => {
    const tracer = tracerFor();
    tracer.emit(makeEvent({ flags: 0 }));
    tracer.emit(makeEvent({ flags: 2 }));
    await tracer.flush();
    await receiver.waitForEvents(1);
    expect(tracer.stats().droppedEvents.sampledOut).toBe(1);
    expect(receiver.events.map((e) => e.flags)).toEqual([2]);
  });

  it('drops invalid and oversized events with a reason naming the field, without throwing', async () => {
    const tracer = tracerFor({ maxDatagramBytes: 600 });
    tracer.emit(makeEvent({ traceId: '' }));
    await tracer.flush();
    expect(tracer.stats().droppedEvents.invalid).toBe(1);
    expect(tracer.stats().lastProblem).toMatchObject({
      code: 'TRC_ERR_EVENT_INVALID',
      message: 'traceId: is required',
    });
    tracer.emit(makeEvent({ errorDescription: 'z'.repeat(1000) }));
    tracer.emit(null as never);
    await tracer.flush();
    expect(tracer.stats().droppedEvents).toMatchObject({ tooLarge: 1, invalid: 2 });
    expect(tracer.stats().sentEvents).toBe(0);
  });

  it('signs datagrams with hmacKey so the collector can verify them', async () => {
    const key = Buffer.from('s3cret');
    const signed = await UdpReceiver.start(key);
    const tracer = createTracer({ service: 'quote', collectors: [signed.address], hmacKey: 's3cret' });
    tracer.emit(makeEvent());
    await tracer.close();
    await signed.waitForEvents(1);
    expect(signed.events).toHaveLength(1);
    expect(signed.rejected).toEqual([]);
    await signed.close();
  });

  it('close() drains, is safe twice, and counts events emitted afterwards', async () => {
    const tracer = tracerFor();
    tracer.emit(makeEvent());
    await Promise.all([tracer.close(), tracer.close()]);
    await tracer.close();
    tracer.emit(makeEvent());
    await receiver.waitForEvents(1);
    expect(receiver.events).toHaveLength(1);
    expect(tracer.stats().droppedEvents.closed).toBe(1);
  });

  it('does not throw or grow when the collector port is dead', async () => {
    const tracer = createTracer({ service: 'quote', collectors: [await deadPort()], maxBufferedEvents: 1000 });
    tracers.push(tracer);
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 2000; i++) tracer.emit(makeEvent());
      const stats = tracer.stats();
      // The buffer plus the one datagram being filled (16 KiB on loopback; these events exceed 64 bytes).
      expect(stats.bufferedEvents).toBeLessThanOrEqual(1000 + 16_384 / 64);
      expect(stats.inFlightDatagrams).toBeLessThanOrEqual(MAX_PENDING_DATAGRAMS);
      await new Promise((r) => setImmediate(r));
    }
    await tracer.flush();
    const stats = tracer.stats();
    const { bufferFull, sendError } = stats.droppedEvents;
    expect(stats.recordedEvents + bufferFull).toBe(100_000);
    expect(stats.sentEvents + sendError).toBe(stats.recordedEvents);
    expect(stats.bufferedEvents).toBe(0);
  });

  it('notices a dead local collector: the kernel refusal is counted as a send error', async () => {
    const tracer = createTracer({ service: 'quote', collectors: [await deadPort()] });
    tracers.push(tracer);
    for (let round = 0; round < 5; round++) {
      tracer.emit(makeEvent());
      await tracer.flush();
    }
    expect(tracer.stats().droppedEvents.sendError).toBeGreaterThan(0);
    expect(tracer.stats().lastProblem).toMatchObject({ code: 'TRC_ERR_TRANSPORT_SEND' });
    expect(tracer.stats().lastProblem?.message).toContain('ECONNREFUSED');
  });

  it('uses 16 KiB datagrams by default for a loopback collector', async () => {
    const tracer = tracerFor({ flushIntervalMillis: 3_600_000 });
    for (let i = 0; i < 300; i++) tracer.emit(makeEvent());
    await tracer.flush();
    await receiver.waitForEvents(300);
    expect(Math.max(...receiver.sizes)).toBeGreaterThan(8192);
    expect(Math.max(...receiver.sizes)).toBeLessThanOrEqual(16_384);
    expect(receiver.events).toHaveLength(300);
  });

  it('sends in bursts of several datagrams, not one background send per datagram', async () => {
    const tracer = tracerFor({ flushIntervalMillis: 3_600_000, maxDatagramBytes: 600 });
    // A few events (under one burst): nothing is sent in the background before the timer.
    for (let i = 0; i < 5; i++) tracer.emit(makeEvent());
    await new Promise((r) => setTimeout(r, 20));
    expect(tracer.stats()).toMatchObject({ sentDatagrams: 0, bufferedEvents: 5 });
    // Many bursts' worth: they go without waiting for the timer, several datagrams per drain.
    for (let i = 0; i < 400; i++) tracer.emit(makeEvent());
    await new Promise((r) => setTimeout(r, 50));
    const stats = tracer.stats();
    expect(stats.sentDatagrams).toBeGreaterThanOrEqual(8);
    expect(stats.bufferedEvents).toBeLessThan(405);
    await receiver.waitForEvents(stats.sentEvents);
  });

  it('delivers every event intact across many datagrams whose buffers are reused', async () => {
    const tracer = tracerFor({ flushIntervalMillis: 3_600_000, maxDatagramBytes: 600 });
    const emitted = [];
    // Rounds small enough for the in-process receiver's socket buffer, so nothing is lost in the kernel.
    for (let round = 0; round < 25; round++) {
      for (let i = 0; i < 40; i++) {
        const event = makeEvent({ tags: { round: String(round), i: String(i) } });
        emitted.push(event);
        tracer.emit(event);
      }
      await tracer.flush();
      await receiver.waitForEvents(emitted.length);
    }
    expect(tracer.stats().sentDatagrams).toBeGreaterThan(200);
    expect(receiver.rejected).toEqual([]);
    expect(receiver.events).toEqual(emitted);
  });

  it('counts DNS failures as send errors when the collector name does not resolve', async () => {
    const tracer = createTracer({ service: 'quote', collectors: ['collector.phosphor.invalid:7760'] });
    tracers.push(tracer);
    for (let i = 0; i < 5; i++) tracer.emit(makeEvent());
    await tracer.flush();
    expect(tracer.stats().droppedEvents.sendError).toBe(5);
    expect(tracer.stats().lastProblem?.code).toBe('TRC_ERR_TRANSPORT_DNS');
  });

  it('starts traces with ids from the id source and reports its fallbacks', async () => {
    const idSource = new PooledIdSource({ batchSize: 2, lowWaterMark: 0, fetchBatch: async () => ['7001', '7002'] });
    await idSource.idle();
    const tracer = tracerFor({ idSource });
    expect([tracer.startTrace().traceId, tracer.startTrace().traceId]).toEqual(['7001', '7002']);
    const fallback = tracer.startTrace();
    expect(fallback.traceId).not.toMatch(/^700[12]$/);
    expect(tracer.stats().idFallbacks).toBe(1);
    expect(tracer.startTrace('42')).toMatchObject({ traceId: '42', persistent: false });
  });

  it('enabled: false gives a tracer that records nothing', async () => {
    const tracer = tracerFor({ enabled: false });
    tracer.emit(makeEvent());
    await tracer.flush();
    expect(tracer.enabled).toBe(false);
    expect(tracer.stats().recordedEvents).toBe(0);
    await new Promise((r) => setTimeout(r, 30));
    expect(receiver.events).toHaveLength(0);
  });

  const badOptions: [string, Record<string, unknown>][] = [
    ['service', { service: '' }],
    ['collectors[0]', { service: 's', collectors: ['no-port'] }],
    ['collectors[1]', { service: 's', collectors: ['a:1', 'b:70000'] }],
    ['collectors', { service: 's', collectors: [] }],
    ['maxBufferedEvents', { service: 's', maxBufferedEvents: 0 }],
    ['maxDatagramBytes', { service: 's', maxDatagramBytes: 70_000 }],
    ['flushIntervalMillis', { service: 's', flushIntervalMillis: 1.5 }],
    ['sampleRate', { service: 's', sampleRate: 2 }],
    ['hmacKey', { service: 's', hmacKey: '' }],
    ['idSource', { service: 's', idSource: {} }],
  ];
  it.each(badOptions)('rejects a bad %s with TRC_ERR_OPTIONS_INVALID naming it', (field, options) => {
    const attempt = () => createTracer(options as never);
    expect(attempt).toThrow(TracerError);
    expect(attempt).toThrow(`TRC_ERR_OPTIONS_INVALID: invalid tracer option: ${field}:`);
  });

  it('accepts IPv6 collector addresses', () => {
    const tracer = tracerFor({ collectors: ['[::1]:7760'] });
    expect(tracer.enabled).toBe(true);
  });
});
