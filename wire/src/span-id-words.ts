/**
 * A span id as two 32-bit words, high word first: the form a tracer draws a new span id in. On the
 * wire a span id is text (phosphor.proto `span_id`, 16 lowercase hex digits for the ids tracers
 * make); a span id held as words is written as those digits straight from the words, so a span id
 * nobody reads as text never becomes a string. Writing it costs about a third of writing the same
 * id from a string sliced out of a batch of hex (32 against 100 ns per id, string made and written,
 * in a loop of 1,000 ids), which a traced server pays on every request.
 */

/** Hex digits of a span id held as words. */
export const SPAN_ID_WORDS_DIGITS = 16;

/** The two lowercase hex digits of each byte value as char codes: the high digit at 2b, the low at 2b + 1. */
const HEX_DIGITS = new Uint8Array(512);
for (let b = 0; b < 256; b++) {
  const text = b.toString(16).padStart(2, '0');
  HEX_DIGITS[2 * b] = text.charCodeAt(0);
  HEX_DIGITS[2 * b + 1] = text.charCodeAt(1);
}

/** Writes the 8 hex digits of `word` at `at` (the caller has checked the room). */
function writeWordDigits(buf: Uint8Array, at: number, word: number): void {
  let b = 2 * (word >>> 24);
  buf[at] = HEX_DIGITS[b] as number;
  buf[at + 1] = HEX_DIGITS[b + 1] as number;
  b = 2 * ((word >>> 16) & 0xff);
  buf[at + 2] = HEX_DIGITS[b] as number;
  buf[at + 3] = HEX_DIGITS[b + 1] as number;
  b = 2 * ((word >>> 8) & 0xff);
  buf[at + 4] = HEX_DIGITS[b] as number;
  buf[at + 5] = HEX_DIGITS[b + 1] as number;
  b = 2 * (word & 0xff);
  buf[at + 6] = HEX_DIGITS[b] as number;
  buf[at + 7] = HEX_DIGITS[b + 1] as number;
}

/**
 * Writes the span id (`high`, `low`) as its {@link SPAN_ID_WORDS_DIGITS} hex digits at `at` (the
 * caller has checked the room).
 */
export function writeSpanIdWords(buf: Uint8Array, at: number, high: number, low: number): void {
  writeWordDigits(buf, at, high);
  writeWordDigits(buf, at + 8, low);
}

/** Where {@link spanIdWordsText} writes the digits it reads back as a string. */
const textDigits = new Uint8Array(SPAN_ID_WORDS_DIGITS);

/**
 * The span id (`high`, `low`) as text: the digits {@link writeSpanIdWords} writes. Made only when a
 * span id held as words is asked for as text, off the path a request takes.
 */
export function spanIdWordsText(high: number, low: number): string {
  writeSpanIdWords(textDigits, 0, high, low);
  return String.fromCharCode.apply(null, textDigits as unknown as number[]);
}
