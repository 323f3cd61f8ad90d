/**
 * The batch task format and the checks every batch passes before anything runs:
 * each task valid, each tag a safe and unique file name, each schema compilable.
 */
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors/index.js';
import { safeParseDataText } from '../files/index.js';
import { compileOutputSchema } from './output-schema.js';

/** One batch job as a person writes it. */
export const batchTaskSchema = z
  .object({
    agent: z
      .string()
      .min(1, 'expected an agent spec such as "sim", "claude" or "cli:[\\"my-agent\\",\\"{prompt}\\"]"')
      .describe(
        'Who answers: a roster agent id, sim, sim:<model>, anthropic:<model>, openai:<model>, claude, gemini, auggie or cli:[argv].',
      ),
    prompt: z.string().min(1, 'expected a non-empty prompt').describe('The prompt, passed to the agent as one argument or message.'),
    tag: z.string().optional().describe('File name of the job under jobs/; generated when absent.'),
    timeout: z
      .number()
      .positive('expected a number of seconds > 0')
      .optional()
      .describe('Seconds before the job is stopped; default --timeout.'),
    retries: z
      .number()
      .int('expected a whole number')
      .min(0, 'expected 0 or more')
      .optional()
      .describe('Extra attempts after a failure; default --retries.'),
    schema: z.record(z.string(), z.unknown()).optional().describe('JSON Schema the output must follow; the job fails when it does not.'),
  })
  .strict();

/** A task as loaded, before tags are generated. */
export type BatchTaskInput = z.infer<typeof batchTaskSchema>;
/** A task ready to run: its tag is set, checked and unique. */
export type BatchTask = BatchTaskInput & { tag: string };

/** The whole tasks file. */
export const batchTasksSchema = z.array(batchTaskSchema);

// Leaves room for ".json" and a temp-file prefix under the usual 255-byte name limit.
const MAX_TAG_LENGTH = 200;

/** Why `tag` cannot name a job's files, or undefined when it can. */
export function tagProblem(tag: string): string | undefined {
  if (tag.trim() === '') return 'a tag may not be empty';
  if (tag.includes('/') || tag.includes('\\')) return 'a tag may not contain "/" or "\\" (it names a file under jobs/)';
  if (tag.includes('..')) return 'a tag may not contain ".." (it names a file under jobs/)';
  if (tag.startsWith('.')) return 'a tag may not start with "." (hidden files are easy to miss)';
  if (/[\u0000-\u001f\u007f]/.test(tag)) return 'a tag may not contain control characters';
  if (Buffer.byteLength(tag) > MAX_TAG_LENGTH) return `a tag may be at most ${MAX_TAG_LENGTH} bytes long`;
  return undefined;
}

const INTERPRETERS = new Set(['node', 'nodejs', 'python', 'python3', 'bash', 'sh', 'deno', 'bun', 'npx', 'env', 'ruby', 'perl']);

/** A short name for a `cli:[argv]` spec: the command's (or, after an interpreter, its script's) base name. */
function commandName(spec: string): string | undefined {
  // Only a name for files: a spec that is not a JSON array is refused where the agent is resolved.
  const parsed = safeParseDataText({ text: spec.slice('cli:'.length), where: 'the cli: agent spec', format: 'json' });
  const argv = parsed.ok ? parsed.value : undefined;
  if (!Array.isArray(argv)) return undefined;
  for (const part of argv) {
    if (typeof part !== 'string' || part.startsWith('-') || part.includes('{')) continue;
    const name = (part.split(/[/\\]/).pop() ?? '').replace(/\.[A-Za-z0-9]+$/, '');
    if (name !== '' && !INTERPRETERS.has(name.toLowerCase())) return `cli-${name}`;
  }
  return undefined;
}

function sanitize(agent: string): string {
  const readable = agent.startsWith('cli:') ? (commandName(agent) ?? 'cli') : agent;
  const cleaned = readable.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return (cleaned === '' ? 'job' : cleaned).slice(0, 40).replace(/-+$/, '');
}

/** Parses raw tasks (a JSON array) with errors that name the file, the task index and the field. */
export function parseBatchTasks(input: { value: unknown; source: string; hint?: string }): BatchTaskInput[] {
  const parsed = batchTasksSchema.safeParse(input.value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue): ConfigIssue => {
    const [index, ...field] = issue.path;
    const where = index === undefined ? '' : `[${String(index)}]${field.map((part) => `.${String(part)}`).join('')}`;
    if (issue.code === 'unrecognized_keys') {
      return {
        path: where,
        message: `unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')}; expected only ${Object.keys(batchTaskSchema.shape).join(', ')}`,
      };
    }
    return { path: where, message: issue.message };
  });
  throw new ConfigError({
    file: input.source,
    issues,
    hint: input.hint ?? 'Each task is {"agent": …, "prompt": …} with optional tag, timeout (seconds), retries and schema.',
  });
}

/**
 * Gives every task a tag (`<agent>-<n>` when absent) and refuses unsafe or
 * duplicate tags and uncompilable schemas, all before any file is written.
 */
export function prepareBatchTasks(input: { tasks: readonly BatchTaskInput[]; source: string }): BatchTask[] {
  const { tasks, source } = input;
  const issues: ConfigIssue[] = [];
  // Case-insensitive: on macOS and Windows "A.json" and "a.json" are one file.
  const taken = new Map<string, number>();
  tasks.forEach((task, index) => {
    if (task.tag === undefined) return;
    const problem = tagProblem(task.tag);
    if (problem !== undefined) {
      issues.push({ path: `[${index}].tag`, message: `${problem}; found ${JSON.stringify(task.tag)}` });
      return;
    }
    const earlier = taken.get(task.tag.toLowerCase());
    if (earlier !== undefined)
      issues.push({
        path: `[${index}].tag`,
        message: `tag ${JSON.stringify(task.tag)} is already used by task [${earlier}]; tags must be unique (ignoring case)`,
      });
    else taken.set(task.tag.toLowerCase(), index);
  });
  const width = String(tasks.length).length;
  const prepared = tasks.map((task, index): BatchTask => {
    if (task.tag !== undefined) return { ...task, tag: task.tag };
    const base = `${sanitize(task.agent)}-${String(index + 1).padStart(width, '0')}`;
    let tag = base;
    for (let suffix = 2; taken.has(tag.toLowerCase()); suffix += 1) tag = `${base}-${suffix}`;
    taken.set(tag.toLowerCase(), index);
    return { ...task, tag };
  });
  prepared.forEach((task, index) => {
    if (task.schema === undefined) return;
    const problem = compileOutputSchema(task.schema).problem;
    if (problem !== undefined) issues.push({ path: `[${index}].schema`, message: `not a usable JSON Schema: ${problem}` });
  });
  if (issues.length > 0) throw new ConfigError({ file: source, issues });
  return prepared;
}
