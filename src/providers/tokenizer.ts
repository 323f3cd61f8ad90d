import { readFileSync } from 'node:fs';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytePairCount } from './byte-pair-count.js';
import { boundedPieces } from './token-chunks.js';
import { TokenTable } from './token-table.js';

const require = createRequire(import.meta.url);
const memo = new Map<string, number>();
const MEMO_LIMIT = 512;
const MEMO_MIN_LENGTH = 2000;
const MEMO_MAX_LENGTH = 200_000;
// A pre-token with a lone surrogate is encoded with U+FFFD in its place: gpt-tokenizer never finds such a pre-token whole.
const LONE_SURROGATE = /\p{Cs}/u;
const encoder = new TextEncoder();

/** Where the build writes the o200k table: dist/, from src/providers/, dist/providers/ or dist/bundle/ alike. */
export function tokenTablePath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'o200k_base.tokens');
}

/** The ranks a table must have been built from to be used: o200k_base of the gpt-tokenizer installed. */
function tokenTableSource(): string {
  const { version } = require('gpt-tokenizer/package.json') as { version: string };
  return `gpt-tokenizer@${version} o200k_base`;
}

/** The o200k table built from gpt-tokenizer's ranks (~0.3 s of CPU): what the build writes to tokenTablePath(). */
export function buildTokenTable(): TokenTable {
  const ranks = require('gpt-tokenizer/cjs/bpeRanks/o200k_base') as { default: (string | number[])[] };
  return TokenTable.fromRanks(ranks.default, tokenTableSource());
}

interface Tokenizer {
  readonly table: TokenTable;
  /** o200k's pre-tokenizer: BPE runs within each of its matches. */
  readonly split: RegExp;
  buffer: Uint8Array;
}

let loaded: Tokenizer | undefined;

/**
 * Loads the tokenizer at the first count: processes that never count never pay for it. The table
 * the build wrote is one file read; without it (a source checkout not built, or built against
 * another gpt-tokenizer) the table is built from the ranks, with the same counts.
 */
function tokenizer(): Tokenizer {
  if (loaded === undefined) {
    let table: TokenTable | undefined;
    try {
      table = TokenTable.fromBytes(readFileSync(tokenTablePath()), tokenTableSource());
    } catch {
      table = undefined;
    }
    const { O200K_TOKEN_SPLIT_REGEX: split } = require('gpt-tokenizer/cjs/encodingParams/constants') as { O200K_TOKEN_SPLIT_REGEX: RegExp };
    loaded = { table: table ?? buildTokenTable(), split: new RegExp(split.source, split.flags), buffer: new Uint8Array(1024) };
  }
  return loaded;
}

/** The o200k count of `text`, whole: pre-tokens, then BPE within each. Special tokens such as <|endoftext|> count as the text they are. */
function countWhole(text: string): number {
  const state = tokenizer();
  const { table, split } = state;
  let total = 0;
  split.lastIndex = 0;
  for (let match = split.exec(text); match !== null; match = split.exec(text)) {
    const preToken = match[0];
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (state.buffer.length < preToken.length * 3) state.buffer = new Uint8Array(preToken.length * 3);
    const { written } = encoder.encodeInto(preToken, state.buffer);
    const whole = written === preToken.length || !LONE_SURROGATE.test(preToken);
    total += whole && table.rankOf(state.buffer, 0, written) !== -1 ? 1 : bytePairCount(table, state.buffer, written);
  }
  return total;
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
  let total = 0;
  for (const piece of boundedPieces(text)) total += text.length >= MEMO_MIN_LENGTH ? countPiece(piece) : countWhole(piece);
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

function countPiece(piece: string): number {
  const known = pieceMemo.get(piece);
  if (known !== undefined) return known;
  const tokens = countWhole(piece);
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
  if (loaded !== undefined || armed) return;
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
