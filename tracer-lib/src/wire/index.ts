/** The Phosphor wire format: one module, imported by the tracer and the collector alike. */

export * from './codec.js';
export * from './datagram-writer.js';
export * from './event.js';
export { InternTable } from './intern-table.js';
export * from './limits.js';
