import type { TokenTable } from './token-table.js';

const NONE = 0x7fffffff;

// Scratch for the merges, grown to the longest pre-token seen: counting allocates nothing per pre-token.
let starts = new Int32Array(256);
let ranks = new Int32Array(256);

function rankOrNone(table: TokenTable, bytes: Uint8Array, start: number, end: number): number {
  const rank = table.rankOf(bytes, start, end);
  return rank === -1 ? NONE : rank;
}

/**
 * How many tokens byte-pair encoding makes of `bytes[0, length)`, one pre-token that is
 * not a token whole: tiktoken's merge (and gpt-tokenizer's), counting the parts instead
 * of listing their ranks. Start from single bytes; merge the adjacent pair whose joined
 * bytes have the lowest rank, the leftmost on a tie; stop when no adjacent pair is a token.
 */
export function bytePairCount(table: TokenTable, bytes: Uint8Array, length: number): number {
  if (length <= 1) return length;
  if (starts.length < length + 1) {
    starts = new Int32Array(length + 1);
    ranks = new Int32Array(length + 1);
  }
  // Part i starts at starts[i]; ranks[i] is the rank of parts i and i + 1 joined (NONE if no token).
  let parts = length + 1;
  for (let index = 0; index <= length; index += 1) {
    starts[index] = index;
    ranks[index] = index < length - 1 ? rankOrNone(table, bytes, index, index + 2) : NONE;
  }
  for (;;) {
    let lowest = NONE;
    let at = -1;
    for (let index = 0; index < parts - 1; index += 1) {
      if ((ranks[index] as number) < lowest) {
        lowest = ranks[index] as number;
        at = index;
      }
    }
    if (at === -1) break;
    // Parts at and at + 1 become one.
    starts.copyWithin(at + 1, at + 2, parts);
    ranks.copyWithin(at, at + 1, parts);
    parts -= 1;
    ranks[at] = at + 2 < parts ? rankOrNone(table, bytes, starts[at] as number, starts[at + 2] as number) : NONE;
    if (at > 0) ranks[at - 1] = rankOrNone(table, bytes, starts[at - 1] as number, starts[at + 1] as number);
  }
  return parts - 1;
}
