/** The Phosphor wire format: one module, imported by the tracer and the collector alike. */
export * from './event.js';
export * from './limits.js';
export * from './codec.js';
