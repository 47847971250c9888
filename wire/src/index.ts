/**
 * The Phosphor wire format, defined once: event and batch shapes, limits, the encoder tracers use
 * (DatagramWriter) and the decoder with validation the collector uses. No runtime dependencies.
 */

export * from './batch-header-reader.js';
export * from './datagram-envelope.js';
export * from './datagram-mac.js';
export * from './datagram-writer.js';
export * from './decode-datagram.js';
export * from './event.js';
export * from './event-template.js';
export { InternTable } from './intern-table.js';
export * from './limits.js';
export * from './protobuf-reader.js';
export { SPAN_ID_WORDS_DIGITS, spanIdWordsText, writeSpanIdWords } from './span-id-words.js';
export * from './standard-tag-keys.js';
export * from './validate-event.js';
export * from './varint-writer.js';
