/**
 * Key joining the events of one hop. The length prefix makes it unambiguous whatever characters
 * the ids contain (the wire only bounds their length), so distinct (traceId, spanId) pairs never collide.
 */
export function hopKey(traceId: string, spanId: string): string {
  return `${traceId.length}:${traceId}${spanId}`;
}
