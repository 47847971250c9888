import { MAX_UDP_PAYLOAD_BYTES } from '@phosphor/wire';

/** Default UDP port tracers send to (Phosphor's historical port range, free on common systems). */
export const DEFAULT_UDP_PORT = 7760;
/** Default HTTP API / dashboard port: next to the UDP port so both are easy to remember. */
export const DEFAULT_HTTP_PORT = 7761;
/**
 * Both sockets bind to loopback by default: the API is unauthenticated unless a bearer token is
 * set, and UDP ingest is unauthenticated unless an HMAC key is set. Set `0.0.0.0` deliberately.
 */
export const DEFAULT_BIND_HOST = '127.0.0.1';
/** Accept any datagram Node can receive; tracers default to 1400 bytes, so this only bounds abuse. */
export const DEFAULT_MAX_DATAGRAM_BYTES = MAX_UDP_PAYLOAD_BYTES;
/**
 * Kernel receive buffer asked for the UDP socket. Bursts of batched datagrams outrun one event
 * loop tick; 8 MiB holds ~6,000 full 1400-byte datagrams. Linux silently caps it at
 * net.core.rmem_max, so the effective size is reported in /api/stats.
 */
export const DEFAULT_RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024;
/**
 * How long the UDP receiver lets datagrams gather before ingesting them together. Ingesting each
 * datagram as it arrives runs the engine with caches the socket's system calls have just cooled,
 * and hands spans to the store one datagram's worth at a time: through the socket that cost half
 * again the engine's in-process time per event. Spans wait seconds for their events
 * (`assembly.spanTimeoutMillis`), so a couple of milliseconds is not seen.
 */
export const DEFAULT_INGEST_BATCH_MILLIS = 2;
/** Longest `udp.ingestBatchMillis`: a batch must not sit on spans for longer than this. */
export const MAX_INGEST_BATCH_MILLIS = 1000;
/** Distinct tracer instances tracked for loss accounting; past it the least recently seen is forgotten. */
export const DEFAULT_MAX_TRACKED_CLIENTS = 10_000;
/** No API route takes a body; 64 KiB leaves room for future small POSTs and bounds abuse. */
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;
/** Longest accepted query string: search filters fit easily; longer is abuse. */
export const DEFAULT_MAX_QUERY_STRING_BYTES = 4096;
/**
 * How long a hop waits for its missing events. Tracers flush every ~1 s by default, so 5 s covers
 * two flush intervals on both sides plus the RPC itself for typical sub-second calls; slower calls
 * are emitted partial and updated by their late events.
 */
export const DEFAULT_SPAN_TIMEOUT_MILLIS = 5000;
/** Pending-span cap: at ~1 KB per pending hop this bounds assembly memory near 100 MB. */
export const DEFAULT_MAX_PENDING_SPANS = 100_000;
/** How long an emitted span is remembered so late events can update it instead of starting a new partial span. */
export const DEFAULT_LATE_WINDOW_MILLIS = 60_000;
/** Cap on remembered emitted spans (late-event targets); oldest forgotten first. */
export const DEFAULT_MAX_REMEMBERED_SPANS = 200_000;
/** The three classic load-average windows. */
export const DEFAULT_WINDOWS_MINUTES = [1, 5, 15];
/**
 * Width of one aggregate bucket: windows slide in steps of this size. 10 s keeps 90 buckets for a
 * 15-minute window, a fair trade between window precision and memory per key.
 */
export const DEFAULT_BUCKET_SECONDS = 10;
/**
 * Keys kept per aggregate family (endpoints, edges, hosts, graph, catalog), so random service
 * names cannot grow memory without bound. Each rolling key holds a ~14 KB flat live histogram plus
 * packed sealed buckets, so 2,000 keys × 3 families stays under ~100 MB at worst.
 */
export const DEFAULT_MAX_AGGREGATE_KEYS = 2000;
/** Memory store cap: 200k spans at ~1.5 KB each is ~300 MB at worst; oldest traces go first. */
export const DEFAULT_MEMORY_MAX_SPANS = 200_000;
/** Live-tail subscribers at once; each may hold up to `maxBufferedBytes`. */
export const DEFAULT_TAIL_MAX_CLIENTS = 64;
/** A tail client whose socket has this much unsent data is too slow and is disconnected. */
export const DEFAULT_TAIL_MAX_BUFFERED_BYTES = 1024 * 1024;
/** SSE comment sent when idle so proxies and browsers keep the stream open. */
export const DEFAULT_TAIL_HEARTBEAT_MILLIS = 15_000;
/** Minimum gap between two log lines about the same kind of bad input (then a summary with the count). */
export const DEFAULT_WARN_INTERVAL_MILLIS = 10_000;
/**
 * Most shards accepted: far above the cores of any machine a collector runs on; more shards than
 * cores only adds hand-off cost between threads.
 */
export const MAX_SHARDS = 256;
/**
 * Share of the trace-id space owned by a shard that runs on the receiving thread (`shards` > 1);
 * 0: every shard on a worker thread with equal slices. A shard there saves its events a hand-off
 * between threads, but the thread also receives every datagram and routes every event, and a busy
 * receiving thread is what lets the kernel's receive buffer overflow. Since routing copies a
 * referring event as received (shared entries forwarded once per shard buffer), 0 measured as
 * well as or better than 0.2 whenever both ran in the same minutes, and better on its own in every
 * run (docs/benchmarks.md, "Collector shards: shared entries forwarded once per shard buffer").
 */
export const DEFAULT_RECEIVER_SHARD_SHARE = 0;
/** Most of the trace-id space the receiving thread's shard may own (the rest is the worker shards'). */
export const MAX_RECEIVER_SHARD_SHARE = 0.9;
/**
 * Niceness of the shard worker threads (Linux; 0 leaves them at the process's priority). The
 * receiving thread drains a kernel buffer of a few MiB that overflows — losing datagrams — when the
 * thread waits for a core; the worker shards drain a 16 MiB ring each, which rides out a wait many
 * times longer. A worker therefore yields the core to the receiving thread when both are runnable.
 */
export const DEFAULT_SHARD_WORKER_NICENESS = 5;
/** Highest niceness Linux allows (lowest priority). */
export const MAX_SHARD_WORKER_NICENESS = 19;
