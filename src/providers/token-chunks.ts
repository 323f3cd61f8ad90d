/**
 * Cuts a text into pieces whose token counts add up to the text's, so that no piece
 * holds a long pre-token: BPE is quadratic in a pre-token's length, and a run of
 * 20,000 "=" is a single pre-token.
 *
 * The rule. A text is cut
 * - at *safe boundaries*: before a space or tab that follows or precedes a character
 *   other than whitespace, and before a character other than whitespace and "/" that
 *   follows a line break. The o200k pre-tokenizer starts a pre-token there in any case
 *   (a space or tab only starts a word, a punctuation run or a whitespace run, and a
 *   whitespace run before a word leaves its last character to the word; a line break
 *   ends a whitespace run, or a punctuation run that goes on with line breaks and "/"
 *   only), and it reads no context across the cut, so counting both sides apart gives
 *   exactly the count of the whole. A piece gathers whole spans until it reaches
 *   {@link PIECE_TARGET} characters, or ends sooner (past {@link PIECE_MIN}) at the
 *   start of a line when the line before it hashes to a multiple of
 *   {@link LINE_CUT_EVERY}: such cuts depend on the text around them only, not on
 *   where the text starts, so two texts sharing a long passage (the same plan in
 *   two prompts) cut it alike and a count kept per piece serves both.
 * - by force, when {@link SPAN_LIMIT} characters follow the last cut without a safe
 *   boundary (a run of one character, a whitespace run, a minified or base64 line):
 *   there the text is cut every SPAN_LIMIT characters (never inside a surrogate pair).
 *
 * Error bound: only forced cuts change the count, each by at most
 * {@link FORCED_CUT_ERROR} tokens: a cut splits one pre-token in two (or shifts the
 * three-digit grouping of a digit run), which changes the tokens near the cut only;
 * over thousands of cuts in runs, digits, base64, whitespace and mixed scripts none
 * moved the count by more than 1, and the bound keeps a margin. A text
 * of n characters has at most floor(n / SPAN_LIMIT) forced cuts, so the count is within
 * FORCED_CUT_ERROR × floor(n / SPAN_LIMIT) tokens of the exact count, and exact for
 * any text with no span of SPAN_LIMIT characters free of safe boundaries. SPAN_LIMIT is
 * a multiple of the longest tokens of repeated characters (64 "=", 128 spaces, 8 "x"
 * in o200k), so runs of one character usually count exactly.
 *
 * Cost: the scan is linear, and BPE over pre-tokens of at most SPAN_LIMIT characters is
 * linear in the text's length.
 */

/** The longest span counted whole; longer spans are cut by force. */
export const SPAN_LIMIT = 256;
/** How many characters a piece gathers before it is handed to the tokenizer. */
export const PIECE_TARGET = 8192;
/** How many characters a piece gathers before it may end at a line chosen by its content. */
export const PIECE_MIN = 1024;
/** About one line in this many ends a piece past PIECE_MIN. */
export const LINE_CUT_EVERY = 8;
/** The most one forced cut can change a count by, in tokens. */
export const FORCED_CUT_ERROR = 2;

const WHITESPACE = /\s/u;
const SPACE = 0x20;
const TAB = 0x09;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SLASH = 0x2f;

/** True when the o200k pre-tokenizer starts a pre-token at `index` whatever follows (see the rule above). */
export function isSafeBoundary(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  if (code === SPACE || code === TAB) {
    return !isWhitespaceAt(text, index - 1) || (index + 1 < text.length && !isWhitespaceAt(text, index + 1));
  }
  const previous = text.charCodeAt(index - 1);
  return (previous === LINE_FEED || previous === CARRIAGE_RETURN) && code !== SLASH && !isWhitespaceAt(text, index);
}

/** `/\s/u` on the character at `index`, without the regular expression for ASCII (tab to carriage return, and space). */
function isWhitespaceAt(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  if (code < 0x80) return code === SPACE || (code >= TAB && code <= CARRIAGE_RETURN);
  return WHITESPACE.test(text.charAt(index));
}

/** Spreads a line's hash over all its bits (murmur3's finalizer): lines that differ in one digit land far apart. */
function mix(hash: number): number {
  let value = hash ^ (hash >>> 16);
  value = Math.imul(value, 0x85ebca6b);
  value ^= value >>> 13;
  value = Math.imul(value, 0xc2b2ae35);
  return (value ^ (value >>> 16)) >>> 0;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** The pieces of `text` (see the rule above); they join back into `text`. */
export function* boundedPieces(text: string): Generator<string> {
  let pieceStart = 0;
  let spanStart = 0;
  // A hash of the line read so far, and of the line that ended right before `index` (at a line start).
  let lineHash = 0;
  let endedLine = -1;
  for (let index = 1; index < text.length; index += 1) {
    const previous = text.charCodeAt(index - 1);
    if (previous === LINE_FEED) {
      endedLine = mix(lineHash);
      lineHash = 0;
    } else {
      lineHash = Math.imul(lineHash, 31) + previous;
      endedLine = -1;
    }
    if (isSafeBoundary(text, index)) {
      const length = index - pieceStart;
      if (length >= PIECE_TARGET || (length >= PIECE_MIN && endedLine >= 0 && endedLine % LINE_CUT_EVERY === 0)) {
        yield text.slice(pieceStart, index);
        pieceStart = index;
      }
      spanStart = index;
    } else if (index - spanStart >= SPAN_LIMIT && !isLowSurrogate(text.charCodeAt(index))) {
      yield text.slice(pieceStart, index);
      pieceStart = index;
      spanStart = index;
    }
  }
  if (pieceStart < text.length) yield text.slice(pieceStart);
}
