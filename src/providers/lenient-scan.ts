/**
 * Where JSON may sit in a model's answer: fenced blocks (```, ~~~) and balanced
 * top-level {...} or [...] spans, found in one pass that respects strings, escapes and
 * comments, so a brace inside a string or a second object does not throw it off (unlike
 * "first '{' to last '}'").
 */

/** A stretch of the answer that may hold a JSON value: [start, end) offsets. */
export interface Place {
  start: number;
  end: number;
}

/** Fenced blocks and balanced spans of an answer, and the start of a JSON-looking span left open at the end. */
export interface AnswerScan {
  fences: Place[];
  spans: Place[];
  /** Where a JSON-looking object or array starts that the answer never closed (it was cut off). */
  openAtEnd: number | undefined;
}

const FENCE_MARKERS = ['```', '~~~'];
// Quotes that open a string inside a span; single and smart quotes only where a token starts.
const CLOSING_QUOTE: Readonly<Record<string, string>> = { '"': '"', "'": "'", '\u201c': '\u201d', '\u2018': '\u2019' };
const TOKEN_START = new Set(['{', '[', ',', ':']);

function isSpace(char: string | undefined): boolean {
  return char === ' ' || char === '\n' || char === '\r' || char === '\t';
}

/** The place with surrounding whitespace left out. */
function trimmed(text: string, start: number, end: number): Place {
  let from = start;
  let to = end;
  while (from < to && isSpace(text[from])) from += 1;
  while (to > from && isSpace(text[to - 1])) to -= 1;
  return { start: from, end: to };
}

/** Contents of fenced blocks, in order; an unclosed fence runs to the end. At most `limit`. */
function fencesOf(text: string, limit: number): Place[] {
  const found: Place[] = [];
  for (const marker of FENCE_MARKERS) {
    let from = 0;
    while (found.length < limit) {
      const open = text.indexOf(marker, from);
      if (open < 0) break;
      let start = open + marker.length;
      while (text[start] === marker[0]) start += 1;
      // The info string ("json", "jsonc") ends the opening line; content may follow on the same line.
      while (start < text.length && /[\w.+-]/.test(text[start] as string)) start += 1;
      const close = text.indexOf(marker, start);
      const end = close < 0 ? text.length : close;
      const place = trimmed(text, start, end);
      if (place.end > place.start) found.push(place);
      if (close < 0) break;
      from = close + marker.length;
      while (text[from] === marker[0]) from += 1;
    }
  }
  return found.sort((a, b) => a.start - b.start).slice(0, limit);
}

// Whether what follows an opener left open at the end reads as JSON rather than prose ("{more").
function looksLikeJson(text: string, opener: number): boolean {
  const rest = /^\s*(\S)/.exec(text.slice(opener + 1, opener + 200));
  if (rest === null) return true;
  const first = rest[1] as string;
  if ('"\'{[\u201c\u2018-'.includes(first) || /\d/.test(first)) return true;
  return text[opener] === '{' && /^\s*[A-Za-z_$][\w$-]*\s*:/.test(text.slice(opener + 1, opener + 200));
}

/**
 * Scans the answer once: fenced blocks and balanced top-level spans, each list at most
 * `limit` long (the scan stops there), and whether a JSON-looking span is left open at
 * the end. Outside spans nothing is a string: prose's quotes and apostrophes do not count.
 */
export function scanAnswer(text: string, limit: number): AnswerScan {
  const spans: Place[] = [];
  const closers: string[] = [];
  let spanStart = 0;
  let lastToken = '';
  let index = 0;
  while (index < text.length && spans.length < limit) {
    const char = text[index] as string;
    if (closers.length === 0) {
      if (char === '{' || char === '[') {
        spanStart = index;
        closers.push(char === '{' ? '}' : ']');
        lastToken = char;
      }
      index += 1;
      continue;
    }
    const quote = CLOSING_QUOTE[char];
    if (quote !== undefined && (char === '"' || TOKEN_START.has(lastToken))) {
      index = endOfString(text, index + 1, quote);
      lastToken = '"';
      continue;
    }
    if (char === '/' && (text[index + 1] === '/' || text[index + 1] === '*')) {
      const end = text[index + 1] === '/' ? text.indexOf('\n', index) : text.indexOf('*/', index + 2);
      index = end < 0 ? text.length : end + (text[index + 1] === '*' ? 2 : 0);
      continue;
    }
    if (char === '{' || char === '[') closers.push(char === '{' ? '}' : ']');
    else if (char === '}' || char === ']') {
      // A mismatched closer still closes: the parse of the span will say what is wrong.
      closers.pop();
      if (closers.length === 0) spans.push({ start: spanStart, end: index + 1 });
    }
    if (!isSpace(char)) lastToken = char;
    index += 1;
  }
  const openAtEnd = closers.length > 0 && looksLikeJson(text, spanStart) ? spanStart : undefined;
  return { fences: fencesOf(text, limit), spans, openAtEnd };
}

// The index just past the string's closing quote, or the text's length when it never closes.
function endOfString(text: string, from: number, quote: string): number {
  let index = from;
  while (index < text.length) {
    const char = text[index];
    if (char === '\\') index += 2;
    else if (char === quote) return index + 1;
    else index += 1;
  }
  return text.length;
}
