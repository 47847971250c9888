/** Context propagation: X-Correlation-ID, W3C traceparent/tracestate, and their gRPC metadata forms. */

export * from './carrier.js';
export * from './traceparent.js';
export * from './tracestate.js';
