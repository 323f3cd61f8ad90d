import type { z } from 'zod';

/** Pulls a JSON value out of a model answer that may wrap it in a code fence or prose. */
export function extractJson(text: string): unknown {
  const trimmed = text.trim();
  const candidate = /```(?:json)?\s*([\s\S]*?)```/.exec(trimmed)?.[1]?.trim() ?? trimmed;
  try {
    return JSON.parse(candidate);
  } catch (error) {
    const start = candidate.indexOf('{');
    const end = candidate.lastIndexOf('}');
    if (start >= 0 && end > start) return JSON.parse(candidate.slice(start, end + 1));
    throw error;
  }
}

/**
 * Validates a model's structured answer with zod (and `check`, for what a schema
 * cannot say): the value, or the problems to send back in a repair request.
 */
export function parseStructured<S extends z.ZodType>(
  text: string,
  schema: S,
  check?: (value: z.infer<S>) => string[],
): { value: z.infer<S>; problems: [] } | { value: undefined; problems: string[] } {
  let json: unknown;
  try {
    json = extractJson(text);
  } catch (error) {
    return { value: undefined, problems: [`the answer is not valid JSON: ${(error as Error).message}`] };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    return {
      value: undefined,
      problems: parsed.error.issues.slice(0, 12).map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`),
    };
  }
  const problems = check?.(parsed.data) ?? [];
  return problems.length === 0 ? { value: parsed.data, problems: [] } : { value: undefined, problems };
}
