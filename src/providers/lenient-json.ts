/**
 * Reads a model's answer leniently before any repair request: the JSON value may be
 * the whole answer, in a fenced block, among prose, written as near-JSON, under a
 * wrapper key or in a tool call's arguments. The first candidate the caller's
 * validation accepts wins; otherwise the problems are those of the candidate that came
 * closest, or say plainly that the answer is empty, a refusal, cut off or not JSON.
 */
import { scanAnswer, type Place } from './lenient-scan.js';
import { repairJsonSyntax } from './lenient-syntax.js';

/**
 * At most this many candidates are tried (the whole answer, fenced blocks, balanced
 * spans, in that order), so a 2 MB answer with thousands of '{' costs a few passes
 * over the text, not one parse per brace.
 */
export const MAX_CANDIDATES = 32;
// At most this many unwrapping steps below one candidate ({"a": {"b": "{...}"}}).
const MAX_UNWRAPS = 6;
const TOOL_CALL_ARGUMENT_KEYS = ['arguments', 'input', 'parameters', 'args'];
const EXCERPT_LENGTH = 80;
const REASONING_ENDS = ['</think>', '</thinking>'];
const REFUSAL =
  /^\W*(?:(?:I'?m\s+)?sorry\b|I\s+(?:can(?:'|’)?t|cannot|can\s+not|won(?:'|’)?t|will\s+not|am\s+(?:not\s+able|unable)|(?:'|’)m\s+(?:not\s+able|unable))\b|As an AI\b|Unfortunately,? I\b)/i;

/** How close a rejected value came, for choosing whose problems to report. */
export interface Closeness {
  /** An object or array (a primitive is never the closest). */
  shaped: boolean;
  /** It passed the schema and failed only the extra check. */
  schemaValid: boolean;
  /** Its root is of the right kind: every problem lies below it. */
  rootMatched: boolean;
  /** How many problems it has. */
  issues: number;
  /** The deepest path among the problems: deeper means it got further. */
  depth: number;
}

/** The caller's verdict on one value. */
export type Verdict<T> = { ok: true; value: T } | { ok: false; problems: string[]; closeness: Closeness };

/** What a lenient read gave: the value and what was done to reach it, or the problems for a repair request. */
export type LenientRead<T> =
  | { value: T; recovered: string[]; candidatesTried: number }
  | { value: undefined; problems: string[]; candidatesTried: number };

interface Candidate extends Place {
  source: 'answer' | 'fence' | 'span';
  /** Only text that closes every structure it opens gets a syntax repair. */
  repairable: boolean;
}

/** Problems for an answer that holds no JSON value to check. */
export const ANSWER_PROBLEMS = {
  empty: 'the answer is empty: answer with only the JSON object asked for',
  onlyReasoning: 'the answer holds only reasoning (<think>…</think>) and no JSON after it: answer with the JSON object asked for',
  cutOff:
    'the answer is not valid JSON: it was cut off inside an object, array or string that is never closed; send the whole JSON object again, complete',
  refusal: (excerpt: string) => `the answer is a refusal in prose, not JSON ("${excerpt}"): answer with only the JSON object asked for`,
  notJson: (detail: string) => `the answer is not valid JSON: ${detail}`,
} as const;

function excerptOf(text: string): string {
  const flat = text
    .trim()
    .slice(0, EXCERPT_LENGTH * 4)
    .replace(/\s+/g, ' ');
  return flat.length <= EXCERPT_LENGTH ? flat : `${flat.slice(0, EXCERPT_LENGTH)}…`;
}

function candidatesOf(text: string): { candidates: Candidate[]; openAtEnd: number | undefined } {
  const scan = scanAnswer(text, MAX_CANDIDATES);
  const whole = { start: 0, end: text.length };
  while (whole.start < whole.end && /\s/.test(text[whole.start] as string)) whole.start += 1;
  while (whole.end > whole.start && /\s/.test(text[whole.end - 1] as string)) whole.end -= 1;
  const byPlace = new Map<string, Candidate>();
  const add = (place: Place, source: Candidate['source']): void => {
    const key = `${place.start}:${place.end}`;
    const known = byPlace.get(key);
    if (known === undefined) byPlace.set(key, { ...place, source, repairable: source === 'span' });
    else if (source === 'span') known.repairable = true;
  };
  add(whole, 'answer');
  for (const fence of scan.fences) add(fence, 'fence');
  for (const span of scan.spans) add(span, 'span');
  return { candidates: [...byPlace.values()].slice(0, MAX_CANDIDATES), openAtEnd: scan.openAtEnd };
}

/** Strict JSON first, then (for text that closes what it opens) a syntax repair. */
function parseText(text: string, repairable: boolean): { ok: true; value: unknown; fixes: string[] } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text), fixes: [] };
  } catch (error) {
    // The strict parser's message is the one that describes the model's own text.
    const reason = (error as Error).message;
    if (!repairable) return { ok: false, reason };
    const repaired = repairJsonSyntax(text);
    if (!repaired.ok) return { ok: false, reason };
    try {
      return { ok: true, value: JSON.parse(repaired.json), fixes: repaired.fixes };
    } catch {
      return { ok: false, reason };
    }
  }
}

/** One step into a value that did not validate: a wrapper's value, a tool call's arguments, JSON in a string. */
function unwrapOnce(value: unknown): { value: unknown; step: string } | undefined {
  if (typeof value === 'string') {
    // A string holding JSON, or a fenced block of it ({"answer": "```json\n{...}\n```"}).
    const fence = /^\s*(?:```|~~~)/.test(value) ? scanAnswer(value, 1).fences[0] : undefined;
    const inner = fence === undefined ? value.trim() : value.slice(fence.start, fence.end);
    if (!inner.startsWith('{') && !inner.startsWith('[')) return undefined;
    const parsed = parseText(inner, true);
    return parsed.ok ? { value: parsed.value, step: 'parsed JSON from a string' } : undefined;
  }
  if (Array.isArray(value)) return value.length === 1 ? { value: value[0], step: 'unwrapped a one-item array' } : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1) {
    const key = keys[0] as string;
    return { value: record[key], step: `unwrapped "${key}"` };
  }
  // {"name": "submit_plan", "arguments": {...}}, {"type": "tool_use", "id": ..., "input": {...}},
  // {"type": "function", "function": {"name": ..., "arguments": "..."}}
  if (keys.length <= 5 && ('name' in record || 'type' in record)) {
    const key = TOOL_CALL_ARGUMENT_KEYS.find((candidate) => candidate in record);
    if (key !== undefined) return { value: record[key], step: `unwrapped "${key}" of a tool call` };
    if (typeof record['function'] === 'object' && record['function'] !== null)
      return { value: record['function'], step: 'unwrapped "function" of a tool call' };
  }
  return undefined;
}

// Just past the last </think> or </thinking>; the answer's end when it opens with reasoning it never closes; else 0.
function endOfReasoning(answer: string): number {
  const end = Math.max(
    0,
    ...REASONING_ENDS.map((tag) => {
      const at = answer.lastIndexOf(tag);
      return at < 0 ? 0 : at + tag.length;
    }),
  );
  return end === 0 && /^\s*<think(?:ing)?>/.test(answer) ? answer.length : end;
}

function closer(a: Closeness, b: Closeness): boolean {
  if (a.shaped !== b.shaped) return a.shaped;
  if (a.schemaValid !== b.schemaValid) return a.schemaValid;
  if (a.rootMatched !== b.rootMatched) return a.rootMatched;
  if (a.issues !== b.issues) return a.issues < b.issues;
  return a.depth > b.depth;
}

/**
 * Reads `text` leniently: each candidate (see MAX_CANDIDATES) is parsed strictly,
 * then repaired if it closes what it opens, then unwrapped step by step until
 * `validate` accepts a value. Never accepts a value from a candidate left open at the
 * end: a cut-off answer goes to the repair request with a problem saying so.
 */
export function readLenient<T>(answer: string, validate: (value: unknown) => Verdict<T>): LenientRead<T> {
  if (answer.trim() === '') return { value: undefined, problems: [ANSWER_PROBLEMS.empty], candidatesTried: 0 };
  // Reasoning models served locally think aloud in <think>…</think> first: JSON in there is a draft.
  const reasoningEnd = endOfReasoning(answer);
  const text = reasoningEnd > 0 ? answer.slice(reasoningEnd) : answer;
  if (text.trim() === '') return { value: undefined, problems: [ANSWER_PROBLEMS.onlyReasoning], candidatesTried: 0 };
  const { candidates, openAtEnd } = candidatesOf(text);
  let best: { problems: string[]; closeness: Closeness } | undefined;
  let firstSyntaxError: string | undefined;
  let tried = 0;
  for (const candidate of candidates) {
    tried += 1;
    const parsed = parseText(text.slice(candidate.start, candidate.end), candidate.repairable);
    if (!parsed.ok) {
      if (candidate.source !== 'answer' || /^[[{]/.test(text.slice(candidate.start, candidate.start + 1)))
        firstSyntaxError ??= parsed.reason;
      continue;
    }
    const steps: string[] = reasoningEnd > 0 ? ['reasoning skipped'] : [];
    if (candidate.source === 'fence') steps.push('fence');
    if (candidate.source === 'span') steps.push('prose around JSON');
    if (parsed.fixes.length > 0) steps.push(`syntax repaired (${parsed.fixes.join(', ')})`);
    let value = parsed.value;
    for (let unwraps = 0; ; unwraps += 1) {
      const verdict = validate(value);
      if (verdict.ok) return { value: verdict.value, recovered: steps, candidatesTried: tried };
      if (best === undefined || closer(verdict.closeness, best.closeness)) best = verdict;
      const inner = unwraps < MAX_UNWRAPS ? unwrapOnce(value) : undefined;
      if (inner === undefined) break;
      steps.push(inner.step);
      value = inner.value;
    }
  }
  return { value: undefined, problems: problemsOf({ text, openAtEnd, best, firstSyntaxError }), candidatesTried: tried };
}

function problemsOf(input: {
  text: string;
  openAtEnd: number | undefined;
  best: { problems: string[] } | undefined;
  firstSyntaxError: string | undefined;
}): string[] {
  // A cut-off answer's earlier objects are drafts or examples: asking for the whole answer is what helps.
  if (input.openAtEnd !== undefined) return [ANSWER_PROBLEMS.cutOff];
  if (input.best !== undefined) return input.best.problems;
  if (input.firstSyntaxError !== undefined) return [ANSWER_PROBLEMS.notJson(input.firstSyntaxError)];
  const excerpt = excerptOf(input.text);
  if (REFUSAL.test(input.text.trim())) return [ANSWER_PROBLEMS.refusal(excerpt)];
  return [ANSWER_PROBLEMS.notJson(`it holds no JSON object, only prose ("${excerpt}")`)];
}
