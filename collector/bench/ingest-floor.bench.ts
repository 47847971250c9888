/**
 * Where the collector's ingest ratio can go in JavaScript: `npm run bench:collector-floor`.
 *
 * In one run: the raw ceiling (a bare dgram socket, blasted by the same worker sender as
 * bench:collector) gives the CPU a Node process spends just receiving an event; then the same
 * datagrams go through in-process loops of decreasing ambition, each in steady state (stores
 * already full) and net of the loop's own id patching:
 *   - walk: visit every protobuf field, create nothing (the parse floor);
 *   - decode: the wire module's decodeDatagram (what the collector runs first);
 *   - lean prototype: decode into a reused record + join in a Map + columnar ring store + flat
 *     histograms (lean-ingest-prototype.ts — strings and Maps as idiomatic JavaScript uses them);
 *   - byte-keyed prototype: the same work with ids kept as bytes in typed-array hash tables, no
 *     per-event string or object (byte-keyed-ingest-prototype.ts — the leanest design we found);
 *   - native prototype: the byte-keyed design in C behind N-API (native-ingest-prototype/), built
 *     with the system compiler — what a native ingest core would cost;
 *   - collector: the real collector.ingest().
 * Both prototypes leave out validation, tags, timeouts, late events, skew propagation, queries and
 * the tail, so their costs are lower bounds. A socket-fed collector costs at least raw + processing per event, so raw / (raw + processing) is
 * the best collector/raw ratio that processing allows — the target is ≥ 50 %.
 */
import { decodeDatagram } from '@phosphor/tracer/wire';
import { buildCollector } from '../src/app.js';
import { loadConfig } from '../src/config/load-config.js';
import { buildRound, ROUND_DIGITS, type Round } from './bench-datagrams.js';
import { ByteKeyedIngestPrototype } from './byte-keyed-ingest-prototype.js';
import { LeanIngestPrototype } from './lean-ingest-prototype.js';
import { loadNativePrototype } from './native-ingest-prototype/load-native-prototype.js';
import { rawCeiling } from './udp-blast.js';

/** Measured time per step; each stateful step first runs as long again to fill its stores. */
const STEP_MILLIS = Number(process.env.BENCH_STEP_MILLIS ?? 4000);
/** Same caps as the collector's defaults (memory store spans). */
const STORE_SPANS = 200_000;

let nextRound = 5_000_000;

/** Feeds rounds with fresh ids to `ingest` for `millis`; returns CPU µs per event. */
function loop(round: Round, millis: number, ingest: (datagram: Buffer) => void): number {
  let events = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < millis) {
    const digits = String(nextRound++).padStart(ROUND_DIGITS, '0').slice(-ROUND_DIGITS);
    for (let i = 0; i < round.datagrams.length; i++) {
      const d = round.datagrams[i] as Buffer;
      for (const offset of round.patchOffsets[i] as number[]) d.write(digits, offset, 'latin1');
      ingest(d);
    }
    events += round.events;
  }
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / events;
}

/** Visits every field of a datagram's protobuf payload (wire header skipped); creates nothing. */
function walk(buf: Buffer, start: number, end: number, nested: boolean): number {
  let pos = start;
  let fields = 0;
  while (pos < end) {
    let tag = buf[pos++] as number;
    if (tag >= 0x80) tag = (tag & 0x7f) | ((buf[pos++] as number) << 7);
    const wireType = tag & 7;
    fields++;
    if (wireType === 0) {
      while ((buf[pos++] as number) >= 0x80);
    } else if (wireType === 2) {
      let length = buf[pos++] as number;
      if (length >= 0x80) length = (length & 0x7f) | ((buf[pos++] as number) << 7);
      if (!nested && tag >>> 3 === 6) fields += walk(buf, pos, pos + length, true);
      pos += length;
    } else pos += wireType === 1 ? 8 : 4;
  }
  return fields;
}

async function main() {
  const round = buildRound();
  const raw = await rawCeiling(round);
  const rawMicros = 1e6 / raw.eventsPerCpuSecond;
  console.log(
    `raw ceiling: ${fmt(raw.eventsPerCpuSecond)} events per receiver CPU-second = ${rawMicros.toFixed(3)} µs/event (${raw.received}/${raw.sent} datagrams received)`,
  );

  let sink = 0;
  const patch = loop(round, STEP_MILLIS, () => {});
  const rows: [string, number][] = [];
  const step = (name: string, micros: number) => {
    const net = Math.max(0, micros - patch);
    rows.push([name, net]);
    console.log(`${name}: ${net.toFixed(3)} µs/event net of patching (${micros.toFixed(3)} gross)`);
  };
  step(
    'walk every field, create nothing',
    loop(round, STEP_MILLIS, (d) => {
      sink += walk(d, 4, d.length, false);
    }),
  );
  step(
    'decodeDatagram (the collector’s decoder)',
    loop(round, STEP_MILLIS, (d) => {
      const r = decodeDatagram(d);
      if (r.ok) sink += r.batch.events.length;
    }),
  );
  const lean = new LeanIngestPrototype(STORE_SPANS);
  loop(round, STEP_MILLIS, (d) => lean.ingest(d));
  step(
    'lean prototype (decode + join + columnar store + histograms)',
    loop(round, STEP_MILLIS, (d) => lean.ingest(d)),
  );
  console.log('  lean prototype counters:', lean.stats());
  const byteKeyed = new ByteKeyedIngestPrototype(STORE_SPANS);
  loop(round, STEP_MILLIS, (d) => byteKeyed.ingest(d));
  step(
    'byte-keyed prototype (same, ids as bytes in typed-array tables: no per-event strings or Maps)',
    loop(round, STEP_MILLIS, (d) => byteKeyed.ingest(d)),
  );
  console.log('  byte-keyed prototype counters:', byteKeyed.counters);
  const native = loadNativePrototype();
  if ('addon' in native) {
    const core = native.addon.create(STORE_SPANS);
    loop(round, STEP_MILLIS, (d) => native.addon.ingest(core, d));
    step(
      'native prototype (the byte-keyed design in C behind N-API, one call per datagram)',
      loop(round, STEP_MILLIS, (d) => native.addon.ingest(core, d)),
    );
    console.log('  native prototype counters:', native.addon.stats(core));
  } else {
    console.log(`native prototype not measured: ${native.unavailable}`);
  }
  const collector = await buildCollector(
    loadConfig({
      values: {
        udp: { port: 0 },
        http: { port: 0 },
        otlp: { http: { enabled: false }, grpc: { enabled: false } },
        logging: { level: 'silent' },
      },
    }),
  );
  loop(round, STEP_MILLIS, (d) => collector.ingest(d));
  step(
    'collector.ingest (decode + assembly + aggregates + memory store)',
    loop(round, STEP_MILLIS, (d) => collector.ingest(d)),
  );
  console.log(
    `  collector: ${collector.store.stats().storedSpans} spans stored, ${collector.assembler.stats().completeSpans} complete`,
  );
  await collector.close();

  console.log(`\n(patching the ids cost ${patch.toFixed(3)} µs/event, subtracted; checksum ${sink})`);
  console.log('\n| per event, receiver CPU | µs | best collector / raw it allows (target ≥ 50 %) |\n|---|---:|---:|');
  console.log(`| bare dgram socket (raw ceiling) | ${rawMicros.toFixed(3)} | — |`);
  for (const [name, micros] of rows) {
    console.log(`| + ${name} | ${micros.toFixed(3)} | ${((100 * rawMicros) / (rawMicros + micros)).toFixed(1)} % |`);
  }
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
