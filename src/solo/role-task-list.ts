/** `agents.json` for `agent-team queue run`: a list of role tasks, one agent each. */
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { safeParseDataText } from '../files/index.js';
import { ROLE_NAMES } from './roles.js';

/** One entry of `agents.json`. */
export const roleTaskEntrySchema = z
  .object({
    role: z
      .enum(ROLE_NAMES, { error: () => `expected a role: one of ${ROLE_NAMES.join(', ')}` })
      .describe('Which role agent runs the task (see `agent-team roles`).'),
    directory: z
      .string()
      .trim()
      .min(1, 'expected the directory the agent works in, e.g. "./src"')
      .describe('Where the agent works, relative to where you run the command.'),
    task: z
      .string()
      .trim()
      .min(1, 'expected the task, in a sentence')
      .describe('What the agent must do; say what to read from memory and what to save.'),
  })
  .strict();

/** `agents.json`: the agents a queue run starts, in order. */
export const roleTaskListSchema = z
  .array(roleTaskEntrySchema)
  .min(1, 'expected at least one agent: [{"role": "code", "directory": "./src", "task": "..."}]');

/** One role task of `agents.json`. */
export type RoleTaskEntry = z.infer<typeof roleTaskEntrySchema>;

/** Parses the text of an `agents.json`; errors name the file and the entry (`2.role`). */
export function parseRoleTaskList(text: string, file: string): RoleTaskEntry[] {
  const result = safeParseDataText({ text, where: file, format: 'json', schema: roleTaskListSchema });
  if (result.ok) return result.value;
  throw ConfigError.fromDataFileError(
    result.error,
    result.error.syntax === undefined
      ? 'Each entry is {"role": "...", "directory": "...", "task": "..."}; `agent-team init-config -o agents.json` writes an example.'
      : undefined,
  );
}

/** The example `agent-team init-config` writes: code first, so the agents after it find its decisions. */
export const EXAMPLE_ROLE_TASKS: readonly RoleTaskEntry[] = [
  {
    role: 'code',
    directory: './src',
    task: 'Implement the auth module: login with email and password, sessions with expiry. Save each design decision to memory.',
  },
  {
    role: 'test',
    directory: './tests',
    task: 'Write unit tests for the auth module, following the decisions in memory. Save every failing test as an error.',
  },
  {
    role: 'review',
    directory: './src',
    task: 'Review the auth module for security issues. Check it against the decisions in memory and save each finding.',
  },
  {
    role: 'docs',
    directory: './docs',
    task: 'Document the auth module API: endpoints, errors and session lifetime, as decided in memory.',
  },
];
