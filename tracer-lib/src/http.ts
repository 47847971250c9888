/**
 * `@phosphor/tracer/http`: `node:http` servers and clients — plain servers, Express and Koa. Needs no
 * framework: only Node's own `http` module.
 */
export {
  type RequestListener,
  type TracedHttpRequestArgs,
  type TracedHttpRequestOptions,
  type TracedHttpServerOptions,
  tracedHttpRequest,
  tracedRequestListener,
  traceHttpServer,
} from './instrument/node-http.js';
