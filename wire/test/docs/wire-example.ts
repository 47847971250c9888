/**
 * Generates the worked example in docs/wire-format.md from the real encoder, so the document can
 * never drift from the code (wire-format-doc.test.ts compares them).
 * Regenerate: node --import tsx wire/test/docs/wire-example.ts
 */
import { fileURLToPath } from 'node:url';
import { DatagramWriter, type TraceEvent, WIRE_HEADER_BYTES, WIRE_HMAC_BYTES } from '../../src/index.js';

export const EXAMPLE_KEY = 'example-shared-key';

export const EXAMPLE_EVENT: TraceEvent = {
  type: 'OUT',
  traceId: '397237206544449536',
  spanId: '00f067aa0ba902b7',
  parentSpanId: '1111111111111111',
  from: 'gateway',
  fromEndpoint: 'GET /quote/:sku',
  to: 'quote',
  toEndpoint: '/flaki.Flaki/NextID',
  timestampMicros: 1_763_700_000_123_456,
  hostname: 'host-a',
  zone: 'eu-west-1a',
  durationMicros: 5590,
  errorCode: 'E_CONFIG',
  errorDescription: 'Missing config',
  tags: { user: '42' },
  flags: 1,
};

/** The example datagram, exactly as a tracer would send it. */
export function exampleDatagram(): Buffer {
  const writer = new DatagramWriter({
    maxDatagramBytes: 1400,
    tracerId: 'a1b2c3d4e5f60718',
    service: 'quote',
    hostname: 'host-a',
    hmacKey: Buffer.from(EXAMPLE_KEY),
  });
  writer.append(EXAMPLE_EVENT);
  return writer.finish(41, { bufferFull: 0, tooLarge: 0, sendError: 0, sampledOut: 3 }, 1_763_700_000_200_000);
}

const BATCH_FIELDS = ['', 'tracer_id', 'sequence', 'service', 'hostname', 'drops', 'events', 'sent_at_micros'];
const EVENT_FIELDS = [
  '',
  'type',
  'trace_id',
  'span_id',
  'parent_span_id',
  'from',
  'from_endpoint',
  'to',
  'to_endpoint',
  'timestamp_micros',
  'hostname',
  'zone',
  'duration_micros',
  'error_code',
  'error_description',
  'tags',
  'flags',
];
const DROPS_FIELDS = ['', 'buffer_full', 'too_large', 'send_error', 'sampled_out'];
const MAP_FIELDS = ['', 'key', 'value'];

interface Row {
  offset: number;
  bytes: Buffer;
  meaning: string;
}

function readVarint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[at++] as number;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
    shift += 7;
  }
}

/** Walks protobuf fields in [start, end), one row per field; nested messages are walked too. */
function walk(buf: Buffer, start: number, end: number, names: string[], indent: string, rows: Row[]): void {
  let at = start;
  while (at < end) {
    const fieldStart = at;
    const [key, afterKey] = readVarint(buf, at);
    const field = Math.floor(key / 8);
    const wireType = key & 7;
    const name = `${indent}${names[field] ?? `field ${field}`} (${field})`;
    if (wireType === 0) {
      const [value, next] = readVarint(buf, afterKey);
      rows.push({ offset: fieldStart, bytes: buf.subarray(fieldStart, next), meaning: `${name} varint = ${value}` });
      at = next;
    } else if (wireType === 1) {
      const value = buf.readDoubleLE(afterKey);
      rows.push({
        offset: fieldStart,
        bytes: buf.subarray(fieldStart, afterKey + 8),
        meaning: `${name} double = ${value}`,
      });
      at = afterKey + 8;
    } else {
      const [length, bodyStart] = readVarint(buf, afterKey);
      const bodyEnd = bodyStart + length;
      const nested =
        names === BATCH_FIELDS && field === 6
          ? EVENT_FIELDS
          : names === BATCH_FIELDS && field === 5
            ? DROPS_FIELDS
            : names === EVENT_FIELDS && field === 15
              ? MAP_FIELDS
              : undefined;
      if (nested) {
        rows.push({
          offset: fieldStart,
          bytes: buf.subarray(fieldStart, bodyStart),
          meaning: `${name} message, ${length} bytes:`,
        });
        walk(buf, bodyStart, bodyEnd, nested, `${indent}· `, rows);
      } else {
        const text = buf.subarray(bodyStart, bodyEnd).toString('utf8');
        rows.push({
          offset: fieldStart,
          bytes: buf.subarray(fieldStart, bodyEnd),
          meaning: `${name} string = ${JSON.stringify(text)}`,
        });
      }
      at = bodyEnd;
    }
  }
}

function hex(bytes: Buffer): string {
  const text = bytes.toString('hex').replace(/(..)/g, '$1 ').trim();
  return text.length > 47 ? `${text.slice(0, 44)}…` : text;
}

/** The Markdown block placed in docs/wire-format.md between the example markers. */
export function renderWireExample(): string {
  const datagram = exampleDatagram();
  const rows: Row[] = [
    { offset: 0, bytes: datagram.subarray(0, 2), meaning: 'magic "PH"' },
    { offset: 2, bytes: datagram.subarray(2, 3), meaning: 'version = 1' },
    { offset: 3, bytes: datagram.subarray(3, 4), meaning: 'flags = 0x01 (HMAC present)' },
    {
      offset: 4,
      bytes: datagram.subarray(WIRE_HEADER_BYTES, WIRE_HEADER_BYTES + WIRE_HMAC_BYTES),
      meaning: 'HMAC-SHA256(key, header ‖ payload), first 16 bytes',
    },
  ];
  walk(datagram, WIRE_HEADER_BYTES + WIRE_HMAC_BYTES, datagram.length, BATCH_FIELDS, '', rows);
  const full = datagram
    .toString('hex')
    .replace(/(.{64})/g, '$1\n')
    .trim();
  const lines = [
    `Shared key \`${EXAMPLE_KEY}\`; one OUT event; ${datagram.length} bytes in all.`,
    '',
    '```text',
    full,
    '```',
    '',
    '| offset | bytes | meaning |',
    '|---:|---|---|',
    ...rows.map((r) => `| ${r.offset} | \`${hex(r.bytes)}\` | ${r.meaning.replace(/\|/g, '\\|')} |`),
  ];
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(renderWireExample());
