import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ANSWER_PROBLEMS, MAX_CANDIDATES, readLenient } from '../../src/providers/lenient-json.js';
import { parseStructured } from '../../src/providers/structured-output.js';

const verdictSchema = z.object({ passed: z.boolean(), reasons: z.array(z.string()).default([]) });
const planSchema = z.object({
  tasks: z.array(z.object({ id: z.string(), title: z.string(), description: z.string().min(1) })).min(1),
});
const taskSchema = z.object({ id: z.string(), title: z.string() });

const read = (text: string, schema: z.ZodType = verdictSchema, check?: (value: never) => string[]) =>
  parseStructured(text, schema, check as ((value: unknown) => string[]) | undefined);

/** Counts the values a read hands to validation. */
function counted(text: string): { validations: number; result: ReturnType<typeof readLenient> } {
  let validations = 0;
  const result = readLenient(text, (value) => {
    validations += 1;
    const parsed = verdictSchema.safeParse(value);
    return parsed.success
      ? { ok: true, value: parsed.data }
      : { ok: false, problems: ['invalid'], closeness: { shaped: true, schemaValid: false, rootMatched: true, issues: 1, depth: 0 } };
  });
  return { validations, result };
}

describe('reading an answer leniently', () => {
  it('takes clean JSON as it is, saying nothing was done', () => {
    expect(read('{"passed": true}')).toEqual({ value: { passed: true, reasons: [] }, problems: [], recovered: [] });
  });

  it('tries the whole answer, then fences, then spans, and takes the first that validates', () => {
    const text = 'Example {"passed": false, "reasons": ["span"]}\n```json\n{"passed": true, "reasons": ["fence"]}\n```';
    expect(read(text)).toMatchObject({ value: { reasons: ['fence'] }, recovered: ['fence'] });
  });

  it('takes the second object when the first does not validate, where first "{" to last "}" would have failed', () => {
    const text = 'Checked {"files": 3} files. Verdict: {"passed": true, "reasons": []}';
    expect(read(text)).toMatchObject({ value: { passed: true }, recovered: ['prose around JSON'] });
  });

  it('goes on to the next candidate when the schema passes but the check does not', () => {
    const text = '{"passed": true, "reasons": []} no wait: {"passed": false, "reasons": ["no tests"]}';
    const check = (verdict: z.infer<typeof verdictSchema>) => (verdict.passed ? ['passed: a change without tests cannot pass'] : []);
    expect(read(text, verdictSchema, check)).toMatchObject({ value: { passed: false } });
    expect(read('{"passed": true}', verdictSchema, check)).toEqual({
      value: undefined,
      problems: ['passed: a change without tests cannot pass'],
    });
  });

  it('unwraps a wrapper key, a tool call and JSON in a string only when the wrapper itself does not validate', () => {
    expect(read('{"verdict": {"passed": true}}')).toMatchObject({ value: { passed: true }, recovered: ['unwrapped "verdict"'] });
    expect(read('{"name": "verdict", "parameters": {"passed": true}}')).toMatchObject({
      recovered: ['unwrapped "parameters" of a tool call'],
    });
    expect(read('{"answer": "{\'passed\': True}"}')).toMatchObject({
      value: { passed: true },
      recovered: ['unwrapped "answer"', 'parsed JSON from a string'],
    });
    expect(read('{"answer": "```json\\n{\\"passed\\": true}\\n```"}')).toMatchObject({
      value: { passed: true },
      recovered: ['unwrapped "answer"', 'parsed JSON from a string'],
    });
    // A single-key schema is not unwrapped when it validates as it is.
    const single = z.object({ items: z.array(z.number()) });
    expect(read('{"items": [1]}', single)).toEqual({ value: { items: [1] }, problems: [], recovered: [] });
  });

  it('reports the problems of the candidate that came closest', () => {
    // The wrapper's inner plan got further (tasks.0.description) than the wrapper (tasks missing).
    const wrapped = '{"plan": {"tasks": [{"id": "T1", "title": "Sign up"}]}}';
    expect(read(wrapped, planSchema).problems).toEqual(['tasks.0.description: Invalid input: expected string, received undefined']);
    // An object with two problems is closer than a bare string or an unwrapped array of the wrong kind with one.
    expect(read('"yes" or {"reasons": [1]}').problems).toEqual([
      'passed: Invalid input: expected boolean, received undefined',
      'reasons.0: Invalid input: expected string, received number',
    ]);
  });

  it('never accepts a value out of an answer cut off mid-object, even an inner object that would validate', () => {
    const text = '```json\n{"tasks": [{"id": "T1", "title": "Sign up"}, {"id": "T2", "title": "Log';
    expect(read(text, taskSchema)).toEqual({ value: undefined, problems: [ANSWER_PROBLEMS.cutOff] });
    expect(read('{"passed": true, "reasons": ["a"')).toEqual({ value: undefined, problems: [ANSWER_PROBLEMS.cutOff] });
  });

  it('accepts no proper prefix of a plan, at any cut', () => {
    const plan =
      "```json\n{'tasks': [{'id': 'T1', 'title': 'Sign up', 'description': 'Form',}, {'id': 'T2', 'title': 'Log in', 'description': 'API'}]}";
    expect(read(plan, planSchema).value).toMatchObject({ tasks: [{ id: 'T1' }, { id: 'T2' }] });
    for (let length = 0; length < plan.length; length += 1) {
      expect(read(plan.slice(0, length), planSchema).value, plan.slice(0, length)).toBeUndefined();
    }
  });

  it('says plainly when the answer is empty, a refusal, prose, only reasoning, or broken JSON', () => {
    expect(read('  \n ').problems).toEqual([ANSWER_PROBLEMS.empty]);
    expect(read("I'm sorry, but I can't help with that.").problems).toEqual([
      'the answer is a refusal in prose, not JSON ("I\'m sorry, but I can\'t help with that."): answer with only the JSON object asked for',
    ]);
    expect(read('I cannot assist with this request.').problems[0]).toMatch(/^the answer is a refusal in prose/);
    expect(read('The change looks fine to me.').problems).toEqual([
      'the answer is not valid JSON: it holds no JSON object, only prose ("The change looks fine to me.")',
    ]);
    expect(read('<think>{"passed": true}</think>\n').problems).toEqual([ANSWER_PROBLEMS.onlyReasoning]);
    // Reasoning cut off before its end: a draft inside it is not the answer.
    expect(read('<think>\nMaybe {"passed": true}, but the tests').problems).toEqual([ANSWER_PROBLEMS.onlyReasoning]);
    expect(read('{"passed": true; "reasons": []}').problems[0]).toMatch(/^the answer is not valid JSON: .*position 15/);
  });

  it('tries at most MAX_CANDIDATES candidates on a 2 MB answer with thousands of balanced spans', () => {
    const text = `${'{"passed": "no", "reasons": []} '.repeat(70_000)}{"passed": true}`;
    expect(text.length).toBeGreaterThan(2_000_000);
    const { validations, result } = counted(text);
    expect(result.candidatesTried).toBe(MAX_CANDIDATES);
    // Each candidate is validated once (nothing to unwrap in a two-key object).
    expect(validations).toBe(MAX_CANDIDATES - 1);
    expect(result.value).toBeUndefined();
  });

  it('scans 2 MB of unbalanced braces once and reports it cut off', () => {
    const { validations, result } = counted(`Here: ${'{"a": '.repeat(400_000)}`);
    expect(result).toMatchObject({ value: undefined, problems: [ANSWER_PROBLEMS.cutOff] });
    expect(result.candidatesTried).toBe(1);
    expect(validations).toBe(0);
  });

  it('reads one 2 MB answer whose strings are full of braces as one candidate', () => {
    const reasons = Array.from({ length: 40_000 }, (_, index) => `{ step ${index} } [${'{'.repeat(20)}`);
    const { result } = counted(`Verdict: {'passed': False, 'reasons': ${JSON.stringify(reasons)},}`);
    expect(result).toMatchObject({ value: { passed: false }, candidatesTried: 2 });
    expect(result.value === undefined ? [] : (result.value as { reasons: string[] }).reasons).toHaveLength(40_000);
  });

  it('unwraps a deeply nested one-item array only a bounded number of times', () => {
    const { validations, result } = counted(`${'['.repeat(500_000)}{"passed": true}${']'.repeat(500_000)}`);
    expect(result.value).toBeUndefined();
    expect(validations).toBe(7);
  });
});
