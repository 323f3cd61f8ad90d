import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';

let encoder: Tiktoken | undefined;
const memo = new Map<string, number>();
const MEMO_LIMIT = 512;
const MEMO_MIN_LENGTH = 2000;

/**
 * Counts tokens with the o200k_base BPE (GPT-4o and later). Claude's tokenizer is
 * not public; o200k is within a few percent on English prose and code.
 */
export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  // System prompts repeat on every call of an agent: remember long texts.
  const cached = text.length >= MEMO_MIN_LENGTH ? memo.get(text) : undefined;
  if (cached !== undefined) return cached;
  encoder ??= new Tiktoken(o200kBase);
  const count = encoder.encode(text).length;
  if (text.length >= MEMO_MIN_LENGTH) {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(text, count);
  }
  return count;
}
