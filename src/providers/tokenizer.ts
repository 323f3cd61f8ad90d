import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { boundedPieces } from './token-chunks.js';

type CountFunction = (text: string, options: { disallowedSpecial: Set<string> }) => number;

let tokenizerCount: CountFunction | undefined;
const memo = new Map<string, number>();
const MEMO_LIMIT = 512;
const MEMO_MIN_LENGTH = 2000;
const MEMO_MAX_LENGTH = 200_000;
// Special tokens such as <|endoftext|> in a prompt are counted as the text they are.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** Loads gpt-tokenizer's o200k encoding at the first count: processes that never count never pay for it. */
function tokenizer(): CountFunction {
  if (tokenizerCount === undefined) {
    const require = createRequire(import.meta.url);
    const encoding = require('gpt-tokenizer/cjs/encoding/o200k_base') as { countTokens: CountFunction };
    tokenizerCount = encoding.countTokens;
  }
  return tokenizerCount;
}

/**
 * Counts tokens with the o200k_base BPE (GPT-4o and later). Claude's tokenizer is
 * not public; o200k is within a few percent on English prose and code.
 *
 * Linear in the text's length whatever it holds: the text is counted in pieces cut
 * where the count does not change, and long spans without a space (a run of one
 * character, a whitespace run, a base64 line) are cut every 256 characters. The
 * result is exact unless the text has such a span, and otherwise within 2 tokens per
 * forced cut, i.e. at most 2 × floor(length / 256) tokens off (see token-chunks.ts).
 */
export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  // System prompts repeat on every call of an agent: remember long texts.
  const remembered = text.length >= MEMO_MIN_LENGTH && text.length <= MEMO_MAX_LENGTH;
  const cached = remembered ? memo.get(text) : undefined;
  if (cached !== undefined) return cached;
  const count = tokenizer();
  let total = 0;
  for (const piece of boundedPieces(text)) total += text.length >= MEMO_MIN_LENGTH ? countPiece(piece, count) : count(piece, AS_TEXT);
  if (remembered) {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(text, total);
  }
  return total;
}

// Counts of the pieces of long texts: prompts that share a long passage (the plan, in every blocker's
// request) cut it into the same pieces (see token-chunks.ts), so only the pieces around what changed are counted.
const pieceMemo = new Map<string, number>();
let pieceMemoChars = 0;
const PIECE_MEMO_CHARS = 8_000_000;

function countPiece(piece: string, count: CountFunction): number {
  const known = pieceMemo.get(piece);
  if (known !== undefined) return known;
  const tokens = count(piece, AS_TEXT);
  if (pieceMemoChars + piece.length > PIECE_MEMO_CHARS) {
    pieceMemo.clear();
    pieceMemoChars = 0;
  }
  pieceMemo.set(piece, tokens);
  pieceMemoChars += piece.length;
  return tokens;
}

/**
 * A number `countTokens(text)` never exceeds, found without loading the tokenizer: the
 * text's UTF-8 length. Every o200k token stands for at least one byte (special tokens are
 * counted as their text), and the pieces counted apart partition the text. A caller that
 * only needs to know a text is small enough can check this first and skip the ~0.2 s load.
 */
export function tokenCountBound(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

// undici, behind Node's fetch and so the SDKs, publishes this once a request's body is on the wire.
const REQUEST_SENT = 'undici:request:bodySent';
let armed = false;

/**
 * Loads the tokenizer once this process's next HTTP request is on the wire, while its answer
 * is awaited: later counts (a budget hold, the integration message) then find it loaded, and
 * the first request never waits for it. Does nothing once loaded or armed.
 */
export function loadTokenizerOnceSent(): void {
  if (tokenizerCount !== undefined || armed) return;
  armed = true;
  const onSent = (): void => {
    unsubscribe(REQUEST_SENT, onSent);
    setImmediate(() => {
      try {
        tokenizer();
      } catch {
        // The count that needs the tokenizer loads it again and reports the failure there.
      }
    }).unref();
  };
  subscribe(REQUEST_SENT, onSent);
}
