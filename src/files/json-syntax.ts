/**
 * Finds where a JSON text stops being JSON. `JSON.parse` says what is wrong
 * but only sometimes where ("Unexpected token ','" has no position), so after
 * it fails this scanner walks the same grammar (RFC 8259) to the first bad
 * character and says what was expected there.
 */

/** A 1-based line and column in a text; the column counts UTF-16 characters from the line start. */
export interface TextPosition {
  readonly line: number;
  readonly column: number;
}

/** The first syntax error of a JSON text. */
export interface JsonSyntaxProblem {
  /** Character offset of the first character that cannot be there. */
  readonly offset: number;
  /** `expected a value, found ","`. */
  readonly message: string;
}

/** The line and column of `offset` in `text`. */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let index = text.indexOf('\n'); index !== -1 && index < end; index = text.indexOf('\n', index + 1)) {
    line += 1;
    lineStart = index + 1;
  }
  return { line, column: end - lineStart + 1 };
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /[0-9a-fA-F]{4}/y;
const SIMPLE_ESCAPES = '"\\/bfnrt';

function describeAt(text: string, offset: number): string {
  const char = text[offset];
  if (char === undefined) return 'the end of the text';
  const code = char.charCodeAt(0);
  if (code < 0x20 || code === 0xfeff) return `the character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return JSON.stringify(char);
}

/**
 * The first syntax error of `text` as JSON, or undefined when it is valid JSON.
 * Iterative, so that deeply nested input cannot overflow the stack.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxProblem | undefined {
  let offset = 0;
  const containers: ('[' | '{')[] = [];
  const fail = (expected: string): JsonSyntaxProblem => ({ offset, message: `expected ${expected}, found ${describeAt(text, offset)}` });
  const skipWhitespace = (): void => {
    while (offset < text.length && ' \t\n\r'.includes(text[offset] as string)) offset += 1;
  };
  const scanString = (): JsonSyntaxProblem | undefined => {
    offset += 1; // the opening quote
    for (;;) {
      const char = text[offset];
      if (char === undefined) return fail('a closing double quote');
      if (char === '"') {
        offset += 1;
        return undefined;
      }
      if (char === '\\') {
        const escaped = text[offset + 1];
        if (escaped !== undefined && SIMPLE_ESCAPES.includes(escaped)) offset += 2;
        else if (escaped === 'u') {
          HEX4.lastIndex = offset + 2;
          offset += 2;
          if (!HEX4.test(text)) return fail('four hex digits after \\u');
          offset += 4;
        } else {
          offset += 1;
          return fail('an escape such as \\n, \\" or \\u0041 after the backslash');
        }
      } else if (char.charCodeAt(0) < 0x20) return fail('no control character inside a string (write \\n for a line break)');
      else offset += 1;
    }
  };
  const scanPropertyName = (): JsonSyntaxProblem | undefined => {
    skipWhitespace();
    if (text[offset] !== '"') return fail('a property name in double quotes');
    const problem = scanString();
    if (problem !== undefined) return problem;
    skipWhitespace();
    if (text[offset] !== ':') return fail('":" after the property name');
    offset += 1;
    return undefined;
  };

  let expectingValue = true;
  for (;;) {
    skipWhitespace();
    const char = text[offset];
    if (expectingValue) {
      expectingValue = false;
      if (char === '{' || char === '[') {
        offset += 1;
        skipWhitespace();
        if (text[offset] === (char === '{' ? '}' : ']')) {
          offset += 1;
          continue;
        }
        containers.push(char);
        expectingValue = true;
        if (char === '{') {
          const problem = scanPropertyName();
          if (problem !== undefined) return problem;
        }
        continue;
      }
      if (char === '"') {
        const problem = scanString();
        if (problem !== undefined) return problem;
        continue;
      }
      const literal = ['true', 'false', 'null'].find((word) => text.startsWith(word, offset));
      if (literal !== undefined) {
        offset += literal.length;
        continue;
      }
      NUMBER.lastIndex = offset;
      if (NUMBER.test(text)) {
        offset = NUMBER.lastIndex;
        continue;
      }
      return fail('a value (an object, array, string, number, true, false or null)');
    }
    const container = containers.at(-1);
    if (container === undefined) return char === undefined ? undefined : fail('the end of the text after the JSON value');
    const close = container === '{' ? '}' : ']';
    if (char === close) {
      offset += 1;
      containers.pop();
    } else if (char === ',') {
      offset += 1;
      expectingValue = true;
      if (container === '{') {
        const problem = scanPropertyName();
        if (problem !== undefined) return problem;
      }
    } else return fail(`"," or "${close}" after ${container === '{' ? 'a property value' : 'an array element'}`);
  }
}
