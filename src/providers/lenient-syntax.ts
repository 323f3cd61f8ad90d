/**
 * Tolerant JSON syntax: rewrites the near-JSON that models write (single or smart
 * quotes, trailing or missing commas, comments, unquoted keys, Python's True/False/None,
 * line breaks inside strings) as strict JSON, in one pass over the text.
 *
 * It never closes what the text left open: an unterminated string, comment, object or
 * array fails, so a truncated answer cannot become a shorter valid one. Written here
 * rather than taken from a package because the known one (jsonrepair) closes truncated
 * input on purpose and, on trailing commas, takes time quadratic in the text's length.
 */

/** What a repair gave: strict JSON text and the kinds of fixes made, or why the text could not be read. */
export type SyntaxRepair = { ok: true; json: string; fixes: string[] } | { ok: false; reason: string };

// Closing quote for each opening quote a model may use around a string.
const CLOSING_QUOTE: Readonly<Record<string, string>> = { '"': '"', "'": "'", '\u201c': '\u201d', '\u2018': '\u2019' };
const LITERALS: Readonly<Record<string, { json: string; fix?: string }>> = {
  true: { json: 'true' },
  false: { json: 'false' },
  null: { json: 'null' },
  True: { json: 'true', fix: 'Python literals' },
  False: { json: 'false', fix: 'Python literals' },
  None: { json: 'null', fix: 'Python literals' },
  undefined: { json: 'null', fix: 'non-JSON literals' },
  NaN: { json: 'null', fix: 'non-JSON literals' },
  Infinity: { json: 'null', fix: 'non-JSON literals' },
};
const JSON_ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't', 'u']);
const STRICT_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const IDENTIFIER_START = /[A-Za-z_$]/;
const IDENTIFIER_PART = /[\w$-]/;
const NUMBER_PART = /[\d.eE+-]/;

function isSpace(char: string | undefined): boolean {
  return char === ' ' || char === '\n' || char === '\r' || char === '\t' || char === '\u00a0' || char === '\ufeff';
}

/** Index of the first non-space character at or after `from`, and whether a line break came before it. */
function skipSpace(text: string, from: number): { index: number; newline: boolean } {
  let index = from;
  let newline = false;
  while (index < text.length && isSpace(text[index])) {
    if (text[index] === '\n') newline = true;
    index += 1;
  }
  return { index, newline };
}

function escapeChar(char: string): string {
  return JSON.stringify(char).slice(1, -1);
}

type Last = 'start' | 'open' | 'comma' | 'colon' | 'value';

/** Rewrites near-JSON as strict JSON; see the file comment for what it fixes and what it refuses. */
export function repairJsonSyntax(text: string): SyntaxRepair {
  const out: string[] = [];
  const stack: string[] = [];
  const fixes = new Set<string>();
  let last: Last = 'start';
  let lastComma = -1;
  let index = 0;

  const fail = (reason: string): SyntaxRepair => ({ ok: false, reason });
  // Before a value: a value right after another one inside a container lacks its comma.
  const beforeValue = (): string | undefined => {
    if (last === 'value') {
      if (stack.length === 0) return `more than one value (position ${index})`;
      out.push(',');
      fixes.add('missing commas');
      last = 'comma';
    }
    return undefined;
  };

  while (index < text.length) {
    const char = text[index] as string;
    if (isSpace(char)) {
      out.push(char === '\u00a0' || char === '\ufeff' ? ' ' : char);
      index += 1;
      continue;
    }
    if (char === '/' && text[index + 1] === '/') {
      const end = text.indexOf('\n', index);
      index = end < 0 ? text.length : end;
      fixes.add('comments');
      continue;
    }
    if (char === '/' && text[index + 1] === '*') {
      const end = text.indexOf('*/', index + 2);
      if (end < 0) return fail('a comment is left open at the end');
      index = end + 2;
      fixes.add('comments');
      continue;
    }
    if (char === '#') {
      const end = text.indexOf('\n', index);
      index = end < 0 ? text.length : end;
      fixes.add('comments');
      continue;
    }
    if (char === '{' || char === '[') {
      const problem = beforeValue();
      if (problem !== undefined) return fail(problem);
      out.push(char);
      stack.push(char === '{' ? '}' : ']');
      last = 'open';
      index += 1;
      continue;
    }
    if (char === '}' || char === ']') {
      if (stack.at(-1) !== char) return fail(`unexpected "${char}" at position ${index}`);
      if (last === 'comma') {
        out[lastComma] = '';
        fixes.add('trailing commas');
      }
      stack.pop();
      out.push(char);
      last = 'value';
      index += 1;
      continue;
    }
    if (char === ',') {
      if (stack.length === 0) return fail(`unexpected "," at position ${index}`);
      if (last === 'comma' || last === 'open') {
        fixes.add('extra commas');
      } else {
        out.push(',');
        lastComma = out.length - 1;
        last = 'comma';
      }
      index += 1;
      continue;
    }
    if (char === ':') {
      if (stack.at(-1) !== '}' || last !== 'value') return fail(`unexpected ":" at position ${index}`);
      out.push(':');
      last = 'colon';
      index += 1;
      continue;
    }
    const closing = CLOSING_QUOTE[char];
    if (closing !== undefined) {
      const problem = beforeValue();
      if (problem !== undefined) return fail(problem);
      const string = readString(text, index, closing, fixes);
      if (string === undefined) return fail('a string is left open at the end');
      if (char !== '"') fixes.add(char === "'" ? 'single quotes' : 'smart quotes');
      out.push(string.json);
      index = string.end;
      last = 'value';
      continue;
    }
    if (/[\d.+-]/.test(char)) {
      let end = index;
      while (end < text.length && NUMBER_PART.test(text[end] as string)) end += 1;
      const number = normalizeNumber(text.slice(index, end));
      if (number === undefined) return fail(`"${text.slice(index, end)}" at position ${index} is not a number`);
      if (number.fixed) fixes.add('number forms');
      const problem = beforeValue();
      if (problem !== undefined) return fail(problem);
      out.push(number.json);
      index = end;
      last = 'value';
      continue;
    }
    if (IDENTIFIER_START.test(char)) {
      let end = index + 1;
      while (end < text.length && IDENTIFIER_PART.test(text[end] as string)) end += 1;
      const word = text.slice(index, end);
      const problem = beforeValue();
      if (problem !== undefined) return fail(problem);
      const keyPosition = stack.at(-1) === '}' && (last === 'open' || last === 'comma');
      if (keyPosition && text[skipSpace(text, end).index] === ':') {
        out.push(JSON.stringify(word));
        fixes.add('unquoted keys');
      } else {
        const literal = Object.hasOwn(LITERALS, word) ? LITERALS[word] : undefined;
        if (literal === undefined) return fail(`unexpected word "${word.slice(0, 40)}" at position ${index}`);
        if (literal.fix !== undefined) fixes.add(literal.fix);
        out.push(literal.json);
      }
      index = end;
      last = 'value';
      continue;
    }
    return fail(`unexpected "${char}" at position ${index}`);
  }
  if (stack.length > 0) return fail('an object or array is left open at the end');
  if (last !== 'value') return fail('no JSON value');
  return { ok: true, json: out.join(''), fixes: [...fixes] };
}

function normalizeNumber(token: string): { json: string; fixed: boolean } | undefined {
  if (STRICT_NUMBER.test(token)) return { json: token, fixed: false };
  // +1, .5, 5., -.5: forms JavaScript or Python accept and JSON does not.
  const fixed = token
    .replace(/^\+/, '')
    .replace(/^(-?)\./, '$10.')
    .replace(/\.(?=$|[eE])/, '');
  return STRICT_NUMBER.test(fixed) ? { json: fixed, fixed: true } : undefined;
}

/**
 * Reads a string opened at `start` up to `closing`. A closing quote followed by more
 * text on the same line (not `,` `:` `}` `]`) is taken as a quote inside the string,
 * as in "Added "login" route". Undefined when the string is never closed.
 */
function readString(text: string, start: number, closing: string, fixes: Set<string>): { json: string; end: number } | undefined {
  const parts: string[] = ['"'];
  let segment = start + 1;
  let index = start + 1;
  const flush = (to: number): void => {
    if (to > segment) parts.push(text.slice(segment, to));
  };
  while (index < text.length) {
    const char = text[index] as string;
    if (char === '\\') {
      const next = text[index + 1];
      if (next === undefined) return undefined;
      flush(index);
      if (JSON_ESCAPES.has(next)) {
        parts.push(char, next);
      } else {
        // \' in single quotes, or an escape JSON lacks: keep the character itself.
        parts.push(escapeChar(next));
        if (!(next === "'" && closing === "'")) fixes.add('invalid escapes');
      }
      index += 2;
      segment = index;
      continue;
    }
    if (char === closing) {
      const after = skipSpace(text, index + 1);
      const next = text[after.index];
      const ends = next === undefined || after.newline || next === ',' || next === ':' || next === '}' || next === ']';
      flush(index);
      index += 1;
      segment = index;
      if (ends) {
        parts.push('"');
        return { json: parts.join(''), end: index };
      }
      parts.push(escapeChar(char));
      fixes.add('unescaped quotes in strings');
      continue;
    }
    if (char === '"' || char < ' ') {
      flush(index);
      parts.push(escapeChar(char));
      if (char !== '"') fixes.add('line breaks in strings');
      index += 1;
      segment = index;
      continue;
    }
    index += 1;
  }
  return undefined;
}
