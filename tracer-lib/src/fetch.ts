/** `@phosphor/tracer/fetch`: a traced `fetch` (the global one by default; no dependency). */
export { type TracedFetchOptions, type TracedRequestInit, tracedFetch } from './instrument/http-client.js';
