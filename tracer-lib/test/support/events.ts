/** The tracer's tests build events with the wire package's test helper. */
export { makeEvent } from '../../../wire/test/support/events.js';
