/**
 * The collector's stand-in for `npm run bench:ids`: the collector's own UDP endpoint
 * (`UdpDatagramEndpoint`, with the collector's default `udp:` settings) in its own child process,
 * counting datagrams instead of ingesting them. Its own process, like a real collector, so receiving
 * never competes with the load generator's event loop; the collector's endpoint, so the traced
 * server's sends meet the receiver a collector is: the first datagram of a burst arrives as a
 * `'message'` event and pauses the socket's own receiving, the rest wait in an 8 MiB kernel buffer and
 * are read in one go every 2 ms (`udp.ingestBatchMillis`). Counting Node's `'message'` event per
 * datagram instead cost the sink 31–105 µs of CPU per 16 KiB datagram (a 64 KiB buffer allocated and
 * shrunk for each, its pages faulted in, a wake-up for each) and the traced server 30–70 µs per send
 * against 12–15 µs to a socket no reader waits on (docs/benchmarks.md). Sends `{ port }` once bound;
 * answers `count` with `{ datagrams }`, after closing the socket and reading what still waits in it
 * (sent once, at the end of a run).
 */
import {
  DEFAULT_INGEST_BATCH_MILLIS,
  DEFAULT_MAX_DATAGRAM_BYTES,
  DEFAULT_MAX_TRACKED_CLIENTS,
  DEFAULT_RECEIVE_BUFFER_BYTES,
  DEFAULT_WARN_INTERVAL_MILLIS,
} from '@phosphor/collector/defaults';
import { UdpDatagramEndpoint } from '@phosphor/collector/udp-endpoint';
import { pino } from 'pino';

/** The collector's UDP endpoint with a handler that only counts. */
class CountingEndpoint extends UdpDatagramEndpoint {
  protected handle(): void {
    this.counters.acceptedDatagrams++;
  }

  get datagrams(): number {
    return this.counters.acceptedDatagrams;
  }
}

const endpoint = new CountingEndpoint(
  {
    host: '127.0.0.1',
    port: 0,
    maxDatagramBytes: DEFAULT_MAX_DATAGRAM_BYTES,
    receiveBufferBytes: DEFAULT_RECEIVE_BUFFER_BYTES,
    ingestBatchMillis: DEFAULT_INGEST_BATCH_MILLIS,
    maxTrackedClients: DEFAULT_MAX_TRACKED_CLIENTS,
    warnIntervalMillis: DEFAULT_WARN_INTERVAL_MILLIS,
  },
  pino({ enabled: false }),
);
process.send?.({ port: await endpoint.start() });
process.on('message', (message) => {
  if (message === 'count') {
    void endpoint.close().then(() => process.send?.({ datagrams: endpoint.datagrams }));
  }
  if (message === 'exit') process.exit(0);
});
